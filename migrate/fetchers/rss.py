"""`rss`: any RSS 2.0 or Atom feed (RSS 1.0 too), from a file or a URL.

Nearly every newsletter platform publishes one (TinyLetter, beehiiv, Buttondown, Revue, Ghost,
Substack, WordPress), so a feed is the way out of a platform with no export. Each item becomes an
issue: its HTML (`content:encoded`, else `description`; Atom `content`, else `summary`), its link
(whose path becomes the alias), its title, its date (RFC 822 in RSS, RFC 3339 in Atom) and its
guid or Atom id as the issue's id.

A feed holds only the latest items, so the run says so. The XML is parsed with lxml, never
resolving an entity, loading a DTD or touching the network: no external entity can read a file,
no entity can expand into a bomb. A feed broken midway gives what could be read, with the break
reported. A URL is asked conditionally on re-sync (ETag / Last-Modified).
"""
from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import html
import re
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from lxml import etree

from ..errors import UserError
from ..files import sha256_file
from ..http import FetchError, _display, source_error
from ..mappings import parse_date
from ..record import Issue, SourceNote, SourceProblem, Unchanged
from ..urls import absolute
from .base import Fetcher, register
from .buttondown import buttondown_issue_ref
from .revue import revue_issue_ref

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS1 = "http://purl.org/rss/1.0/"
XHTML = "http://www.w3.org/1999/xhtml"
DESCRIPTION_CHARS = 300
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_POST_PATH = re.compile(r"^/p/(?P<slug>[^/]+)/?$")  # Substack and beehiiv posts


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_pis=True, recover=recover)


def feed_issue_ref(url: str) -> tuple[str, str | None] | None:
    """The issue a link names, in the URL forms of the platforms whose feeds are read most:
    Buttondown's archive, Revue's issues, Substack's and beehiiv's /p/<slug>."""
    ref = buttondown_issue_ref(url) or revue_issue_ref(url)
    if ref or not url.startswith(("http://", "https://")):
        return ref
    try:
        match = _POST_PATH.match(urlsplit(url).path)
    except ValueError:
        return None
    return (match["slug"], None) if match else None


class Feed:
    """A parsed feed: its kind, its items (elements) and, when it was broken, where and why."""

    def __init__(self, data: bytes, ref: str):
        self.ref = ref
        self.broken: tuple[int, str] | None = None
        try:
            root = etree.fromstring(data, _parser(recover=False))
        except etree.XMLSyntaxError as exc:
            self.broken = (exc.lineno or 0, exc.msg or str(exc))
            try:
                root = etree.fromstring(data, _parser(recover=True))
            except etree.XMLSyntaxError:
                root = None
        if root is None:
            line, why = self.broken or (0, "no XML")
            raise UserError(f"{ref} is not a readable feed (line {line}: {why}); give --source an RSS 2.0 or Atom feed, "
                            "as a file or a URL.")
        tag = etree.QName(root).localname if isinstance(root.tag, str) else ""
        namespace = etree.QName(root).namespace if isinstance(root.tag, str) else None
        if tag == "rss":
            channel = root.find("channel")
            self.kind, self.items = "rss", list(channel.iterfind("item")) if channel is not None else []
            self.link = _text(channel.find("link")) if channel is not None else ""
        elif tag == "feed" and namespace == ATOM:
            self.kind, self.items = "atom", list(root.iterfind(f"{{{ATOM}}}entry"))
            self.link = _atom_link(root, "")
        elif tag == "RDF" and namespace == RDF:
            self.kind, self.items = "rss1", list(root.iterfind(f"{{{RSS1}}}item"))
            channel = root.find(f"{{{RSS1}}}channel")
            self.link = _text(channel.find(f"{{{RSS1}}}link")) if channel is not None else ""
        else:
            raise UserError(f"{ref} is XML but not a feed (its root is <{tag}>); give --source an RSS 2.0 or Atom feed.")


    def broken_item(self) -> int | None:
        """Which item the break lies in (by the lines the items start on), or None."""
        if not self.broken:
            return None
        line = self.broken[0]
        starts = [item.sourceline or 0 for item in self.items]
        for index, start in enumerate(starts):
            if start <= line and (index + 1 == len(starts) or line < starts[index + 1]):
                return index
        return None


def _text(el) -> str:
    """An element's text, entity references that were not resolved left out."""
    if el is None:
        return ""
    return "".join(t for t in el.xpath("text()|.//text()") if isinstance(t, str)).strip()


def _atom_link(el, base: str) -> str:
    links = el.findall(f"{{{ATOM}}}link")
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return absolute(link.get("href").strip(), base or None)
    return ""


def _plain(text: str) -> str:
    """Text that may carry HTML or entities escaped once too often, as a reader would see it."""
    if "<" in text and ">" in text:
        text = BeautifulSoup(text, "lxml").get_text(" ")
    if _ENTITY.search(text):
        text = html.unescape(text)
    return " ".join(text.split())


def _atom_html(el) -> str:
    """The HTML of an Atom text construct (content, summary): html, xhtml or plain text."""
    if el is None:
        return ""
    kind = (el.get("type") or "text").lower()
    if kind == "xhtml":
        div = el.find(f"{{{XHTML}}}div")
        inner = div if div is not None else el
        return html.escape(inner.text or "") + "".join(etree.tostring(child, encoding="unicode", with_tail=True) for child in inner)
    text = _text(el)
    if kind in ("html", "text/html"):
        return text
    return "".join(f"<p>{html.escape(part.strip())}</p>" for part in text.split("\n\n") if part.strip())


def _rss_date(raw: str) -> dt.datetime | dt.date | None:
    """RFC 822 (RSS's pubDate), or ISO 8601 (dc:date, and feeds that ignore the RSS rules)."""
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return parse_date(raw)
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


@register
class FeedFetcher(Fetcher):
    name = "rss"
    listing = "window"
    platform = "rss"
    issue_ref = staticmethod(feed_issue_ref)
    help = "an RSS 2.0 or Atom feed, as a file or a URL (it holds only the latest items)"

    @classmethod
    def check_source(cls, source: str) -> None:
        if source.startswith(("http://", "https://")):
            return
        path = Path(source)
        if not path.is_file():
            raise UserError(f"{source} is not a file; give --source a saved RSS or Atom feed, or its URL.")
        Feed(path.read_bytes(), source)  # an unreadable feed is refused before anything is written

    def entries(self) -> Iterator[Issue | SourceProblem | Unchanged | SourceNote]:
        if self.source.startswith(("http://", "https://")):
            url = self.source
            client = self.context.client
            client.allow(url)  # the user named this host
            headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
                       **self.context.conditional_headers(url)}
            try:
                response = client.get(url, headers=headers)
            except FetchError as exc:
                raise source_error("the feed", exc, "check --source and your connection.") from None
            if response.status == 304:
                yield Unchanged(url, whole_source=True)
                return
            data, ref, validators, label = response.body, url, response.headers, _display(url)
            body_hash = hashlib.sha256(data).hexdigest()
        else:
            path = Path(self.source)
            ref = label = str(path.resolve())
            body_hash, validators = sha256_file(path), {}
            data = None
        if self.context.unchanged_body(ref, body_hash):
            yield Unchanged(ref, whole_source=True)
            return
        if data is None:
            data = Path(self.source).read_bytes()
        feed = Feed(data, label)
        if not feed.broken:
            self.context.remember(ref, validators, body_hash)
        if feed.items:
            yield SourceNote(label, f"a feed holds only its latest items ({len(feed.items)} in this one); older issues are "
                                    "not in it: migrate them from the platform's export or archive as well")
        elif not feed.broken:
            yield SourceNote(label, "the feed has no items (no RSS <item>, no Atom <entry>): nothing was migrated; check that "
                                    "--source is the newsletter's feed")
        broken_item = feed.broken_item()
        self.context.expect(len(feed.items) + bool(feed.broken and broken_item is None))
        for order, item in enumerate(feed.items):
            if order == broken_item:
                # Whatever was read of it may be cut short anywhere: reported, not written.
                line, why = feed.broken
                yield SourceProblem(f"{label} item {order + 1} (line {item.sourceline})",
                                    f"the feed is not well-formed XML inside this item (line {line}: {why}); it could not be read "
                                    "whole, and any items after the break are missing: repair the feed or fetch it again", order)
                continue
            yield self._item(feed, item, order, label)
        if feed.broken and broken_item is None:
            line, why = feed.broken
            yield SourceProblem(f"{label} line {line}", f"the feed is not well-formed XML ({why}); the items before the break "
                                "were migrated, any after it are missing", len(feed.items))

    # ------------------------------------------------------------------ one item
    def _item(self, feed: Feed, item, order: int, label: str) -> Issue | SourceProblem:
        if feed.kind == "atom":
            fields = self._atom_fields(feed, item)
        else:
            fields = self._rss_fields(feed, item)
        link, guid = fields["link"], fields["guid"]
        where = f"{label} item {order + 1}"
        source_id = guid or link
        if not source_id:
            return SourceProblem(where, "the item has no guid (Atom: id) and no link, so nothing says which post it is", order)
        issue = Issue(platform=self.mapping.name, source_id=source_id, html=fields["html"], source_ref=f"{label}#{source_id}",
                      order=order)
        issue.title = _plain(fields["title"]) or None
        issue.description = fields["description"]
        raw_date = fields["date"]
        if raw_date:
            try:
                issue.date = fields["parse_date"](raw_date)
            except ValueError:
                issue.warnings.append(f"its date {raw_date!r} could not be read")
        if not issue.html.strip():
            issue.warnings.append("the feed gives no content for it (no content:encoded, description, content or summary)")
        if link:
            self._add_link(issue, link)
        issue.source_hash = hashlib.sha256(repr((issue.source_id, issue.title, raw_date, link, issue.description,
                                                  issue.html)).encode("utf-8")).hexdigest()
        return issue

    @staticmethod
    def _add_link(issue: Issue, link: str) -> None:
        try:
            parts = urlsplit(link)
        except ValueError:
            issue.warnings.append(f"its link {link[:80]!r} is not a URL")
            return
        relative = not parts.scheme and not parts.netloc and link.startswith("/")
        if not relative and (parts.scheme not in ("http", "https") or not parts.hostname):
            issue.warnings.append(f"its link {link[:80]!r} is not an http(s) URL; it is not kept as an alias")
            return
        if not relative:  # a path alone (the feed named no site) still gives the alias
            issue.old_urls.append(link)
        segments = [s for s in parts.path.split("/") if s]
        if not segments:
            why = f"only a query ({parts.query[:40]}) and no path" if parts.query else "no path"
            issue.warnings.append(f"its link {link} has {why} of its own, which an alias cannot hold; "
                                  "add the old path with an override if it had one")
            return
        issue.add_old_path(parts.path)
        issue.slug = re.sub(r"\.(html?|php|aspx?)$", "", segments[-1]) or None

    def _rss_fields(self, feed: Feed, item) -> dict:
        namespace = f"{{{RSS1}}}" if feed.kind == "rss1" else ""
        guid_el = item.find("guid")
        guid = _text(guid_el)
        if not guid and feed.kind == "rss1":
            guid = (item.get(f"{{{RDF}}}about") or "").strip()
        link = _text(item.find(f"{namespace}link"))
        if not link and guid_el is not None and guid_el.get("isPermaLink", "true").lower() != "false" and guid.startswith(("http://", "https://")):
            link = guid
        link = absolute(link, feed.link or None) if link else ""
        encoded = _text(item.find(f"{{{CONTENT}}}encoded"))
        description = _text(item.find(f"{namespace}description"))
        date = _text(item.find("pubDate")) or _text(item.find(f"{{{DC}}}date"))
        return {"guid": guid, "link": link, "title": _text(item.find(f"{namespace}title")),
                "html": encoded or description, "description": _summary(description) if encoded else None,
                "date": date, "parse_date": _rss_date}

    def _atom_fields(self, feed: Feed, entry) -> dict:
        content = entry.find(f"{{{ATOM}}}content")
        summary = entry.find(f"{{{ATOM}}}summary")
        body = _atom_html(content) if content is not None and not content.get("src") else ""
        summary_html = _atom_html(summary)
        title_el = entry.find(f"{{{ATOM}}}title")
        title = _text(title_el)
        if title_el is not None and (title_el.get("type") or "").lower() == "xhtml":
            title = _plain(_atom_html(title_el))
        date = _text(entry.find(f"{{{ATOM}}}published")) or _text(entry.find(f"{{{ATOM}}}updated"))
        return {"guid": _text(entry.find(f"{{{ATOM}}}id")), "link": _atom_link(entry, feed.link),
                "title": title, "html": body or summary_html,
                "description": _summary(summary_html) if body else None, "date": date, "parse_date": parse_date}


def _summary(fragment: str) -> str | None:
    """A summary as a front matter description: plain text, cut at a word near 300 characters."""
    text = _plain(fragment or "")
    if len(text) > DESCRIPTION_CHARS:
        text = text[:DESCRIPTION_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
    return text or None
