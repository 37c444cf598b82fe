"""`revue-pages`: Revue's public issue pages, saved to disk or fetched live.

A source is one saved page, a folder of them, one issue URL, or a profile archive URL whose
issue links are followed (and its next pages, when it has them). Two eras of page are read with
the same selectors from mappings/platforms/revue.yaml:

- 2019-22: a canonical link, `<time datetime>`, the email inside `#issue-frame`;
- 2016-17: a whole MJML email nested in the page, no date, no canonical link, the archive id only
  in the share links. The old `/issues/<slug>-<id>` path is then rebuilt from the title and
  marked as inferred; a missing date stays missing (an override can supply it).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qsl, urlsplit

from bs4 import BeautifulSoup

from ..dom import document_holding, flattened, flattened_warning, html_of, parse_html, shows_text
from ..errors import UserError
from ..http import FetchError, source_error
from ..mappings import PlatformMapping, parse_date
from ..record import Issue, SourceProblem, Unchanged
from ..selectors import TreeIndex
from ..urls import absolute, without_fragment
from .base import Fetcher, prefetch_in_order, register
from .pages import ReadsPages
from .revue import clean_title, infer_issue_path, number_from_text, parse_revue_path, revue_issue_ref

PAGE_SUFFIXES = (".html", ".htm")
MAX_ARCHIVE_PAGES = 500


def _path_rank(path: str) -> int:
    """Aliases read best issue form first, then the profile form, then the archive form."""
    if "/archive/" in path:
        return 2
    return 1 if path.startswith("/profile/") else 0


@register
class RevuePagesFetcher(ReadsPages, Fetcher):
    name = "revue-pages"
    platform = "revue"
    issue_ref = staticmethod(revue_issue_ref)
    help = "Revue public pages: a saved page, a folder of them, an issue URL or a profile archive URL"

    @classmethod
    def check_source(cls, source: str) -> None:
        if not source.startswith(("http://", "https://")) and not Path(source).exists():
            raise UserError(f"{source} does not exist; give --source a saved Revue page, a folder of pages, or a URL.")

    def __init__(self, source: str, context):
        super().__init__(source, context)
        self.reader = PageReader(self.mapping)

    def page_reader(self):
        """One Revue issue page from anywhere (an archive's capture): see fetchers/pages.py."""
        return self.reader.read_issue_page

    # ------------------------------------------------------------------ sources
    def entries(self) -> Iterator[Issue | SourceProblem | Unchanged]:
        if self.source.startswith(("http://", "https://")):
            yield from self._from_url(self.source)
            return
        path = Path(self.source)
        if path.is_file():
            files = [path]
        elif path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES)
            if not files:
                raise UserError(f"{path} holds no .html pages; give --source a saved Revue issue page or a folder of them.")
        else:
            raise UserError(f"{path} does not exist; give --source a saved Revue page, a folder of pages, or a URL.")
        def read(item):
            order, file = item
            ref = str(file.resolve())
            try:
                data = file.read_bytes()
            except OSError as exc:
                return SourceProblem(ref, f"could not be read ({exc.strerror})", order)
            return self._page(data, ref, order, None, {})

        wanted = [(order, file) for order, file in enumerate(files) if self.context.wants(str(file.resolve()))]
        self.context.expect(len(wanted))
        for _, result in prefetch_in_order(wanted, read, self.context.concurrency):
            yield result

    def _from_url(self, url: str) -> Iterator[Issue | SourceProblem | Unchanged]:
        client = self.context.client
        client.allow(url)  # the user named this host
        try:
            first = client.get(url, headers={"Accept": "text/html"})
        except FetchError as exc:
            raise source_error(url, exc, "check the URL and your connection.") from None
        soup = parse_html(first.body)
        if self._is_issue_page(soup):
            yield self.reader.from_soup(soup, url, 0, page_url=url)
            return
        links = self._issue_links(soup, url)
        seen_pages = {url}
        next_url = self._next_page(soup, url)
        while next_url and next_url not in seen_pages and len(seen_pages) < MAX_ARCHIVE_PAGES:
            seen_pages.add(next_url)
            try:
                page = client.get(next_url, headers={"Accept": "text/html"})
            except FetchError as exc:
                raise source_error(f"the archive page {next_url}", exc, "run again, or save the pages and pass the folder.") from None
            page_soup = parse_html(page.body)
            links.extend(link for link in self._issue_links(page_soup, next_url) if link not in links)
            next_url = self._next_page(page_soup, next_url)
        if not links:
            raise UserError(f"{url} is neither a Revue issue page nor a profile archive with issue links; check the URL.")

        def fetch(item):
            order, link = item
            try:
                response = client.get(link, headers={"Accept": "text/html", **self.context.conditional_headers(link)})
            except FetchError as exc:
                return SourceProblem(link, str(exc), order)
            if response.status == 304:
                return Unchanged(link)
            return self._page(response.body, link, order, link, response.headers)

        # Made as they are fetched: the archive's links are held once, not again beside their order.
        wanted = ((order, link) for order, link in enumerate(links) if self.context.wants(link))
        for (order, link), result in prefetch_in_order(wanted, fetch, self.context.concurrency):
            yield SourceProblem(link, f"could not be fetched ({type(result).__name__})", order) if isinstance(result, Exception) else result

    def _page(self, data: bytes, ref: str, order: int, page_url: str | None, headers: dict):
        """One fetched page: unchanged since the last complete run, or parsed (in a worker
        process when the run has them: parsing is most of a page's cost)."""
        body_hash = hashlib.sha256(data).hexdigest()
        if self.context.unchanged_else_remember(ref, body_hash, headers):
            return Unchanged(ref)
        return self.context.offload(self.reader.read, data, ref, order, page_url)

    def _is_issue_page(self, soup: BeautifulSoup) -> bool:
        return self.reader.is_issue_page(soup)

    def _issue_links(self, soup: BeautifulSoup, page_url: str) -> list[str]:
        host = urlsplit(page_url).hostname
        links: list[str] = []
        seen_ids: set[str] = set()
        for sel in self.mapping.pages["issue_links"]:
            for a in soup.select(sel):
                href = absolute(a.get("href", ""), page_url)
                parsed = parse_revue_path(href)
                if parsed and parsed.kind == "issue" and urlsplit(href).hostname == host and parsed.issue_id not in seen_ids:
                    seen_ids.add(parsed.issue_id)
                    links.append(without_fragment(href))
        return links

    def _next_page(self, soup: BeautifulSoup, page_url: str) -> str | None:
        for sel in self.mapping.pages["next_page"]:
            a = soup.select_one(sel)
            if a and a.get("href"):
                return absolute(a["href"], page_url)
        return None


class PageReader:
    """Reads one saved or fetched page into an issue. Plain data in, plain data out, so a run
    can hand the work to another process."""

    def __init__(self, mapping: PlatformMapping):
        self.mapping = mapping

    def read(self, data: bytes, ref: str, order: int, page_url: str | None) -> Issue | SourceProblem:
        soup = self._parse(data, ref, order)
        return soup if isinstance(soup, SourceProblem) else self.from_soup(soup, ref, order, page_url)

    def read_issue_page(self, data: bytes, ref: str, order: int, page_url: str) -> Issue | SourceProblem:
        """`read`, for a page that may be anything its URL served (an archive's capture): a page
        without any mark of an issue page is refused rather than read whole as one."""
        soup = self._parse(data, ref, order)
        if isinstance(soup, SourceProblem):
            return soup
        index = TreeIndex(soup)
        if not self.is_issue_page(soup, index):
            markers = ", ".join(self.mapping.pages["issue_markers"])
            return SourceProblem(ref, f"is not a {self.mapping.name} issue page (none of {markers}): an error page, a notice or a listing", order)
        return self.from_soup(soup, ref, order, page_url, index)

    def is_issue_page(self, soup: BeautifulSoup, index: TreeIndex | None = None) -> bool:
        index = index or TreeIndex(soup)
        return any(index.select_one(sel) for sel in self.mapping.pages["issue_markers"])

    @staticmethod
    def _parse(data: bytes, ref: str, order: int) -> BeautifulSoup | SourceProblem:
        try:
            return parse_html(data)
        except Exception as exc:  # lxml refuses only truly broken input
            return SourceProblem(ref, f"is not readable HTML ({type(exc).__name__})", order)

    def from_soup(self, soup: BeautifulSoup, ref: str, order: int, page_url: str | None,
                  index: TreeIndex | None = None) -> Issue | SourceProblem:
        """The issue a parsed page holds. Its content is moved out of the page into a document of
        its own (`issue.parsed`), which the cleaners work on: the page is parsed once."""
        pages = self.mapping.pages
        index = index or TreeIndex(soup)  # one walk; every selector below tries only its candidates
        content = next((el for sel in pages["content"] for el in [index.select_one(sel)] if el is not None), None)
        if content is None or not shows_text(content):
            return SourceProblem(ref, "has no issue content (no #issue-frame, and an empty body); save the issue's own public page, not another page of the site", order)

        title = None
        for selector in self.mapping.field_selectors("title"):
            title = clean_title(self._read(index, selector), self.mapping, decode_entities=False)
            if title:
                break

        canonical = next((v for s in self.mapping.field_selectors("canonical") for v in [self._read(index, s)] if v), None)
        issue_url = absolute(canonical, page_url) if canonical else None
        parsed = parse_revue_path(issue_url) if issue_url else None
        share_urls = self._urls_in_links(index, pages["id_links"], page_url)
        if parsed is None:
            # No canonical link: the issue's own URL is in its share links.
            for url in share_urls:
                parsed = parse_revue_path(url)
                if parsed:
                    issue_url = url
                    break
        if parsed is None and page_url:
            parsed = parse_revue_path(page_url)
            issue_url = page_url if parsed else None
        if parsed is None:
            return SourceProblem(ref, "names no Revue issue id (no canonical link, no share or archive link); add the page's URL as an override key or save the page with its links", order)

        issue = Issue(platform=self.mapping.name, source_id=parsed.issue_id, html="", title=title,
                      source_ref=ref, order=order)
        if flattened(soup):
            issue.warnings.append(flattened_warning(flattened(soup)))
        issue.old_urls.append(issue_url)
        issue.add_old_path(parsed.path)
        if parsed.slug:
            issue.slug = parsed.slug
        # The same issue's other forms, as its share links state them.
        for url in share_urls:
            other = parse_revue_path(url)
            if other and other.issue_id == parsed.issue_id:
                issue.add_old_path(other.path)
                if url not in issue.old_urls:
                    issue.old_urls.append(url)
        if not any(parse_revue_path(p.path).kind == "issue" for p in issue.old_paths):
            inferred = infer_issue_path(issue, parsed.profile)
            if inferred:
                issue.old_urls.append(absolute(inferred, issue_url))
        issue.old_paths.sort(key=lambda p: _path_rank(p.path))

        for selector in self.mapping.field_selectors("date"):
            raw = self._read(index, selector)
            if raw:
                try:
                    issue.date = parse_date(raw)
                    break
                except ValueError:
                    issue.warnings.append(f"the page's date {raw!r} could not be read")
        for selector in self.mapping.field_selectors("number"):
            issue.number = number_from_text(self._read(index, selector))
            if issue.number is not None:
                break
        if issue.number is None:
            issue.number = number_from_text(issue.title)

        issue.html = html_of(content)  # str(content), faster
        issue.parsed = document_holding(content)
        soup.decompose()  # the rest of the page: its memory back now, not at the next collection
        # What this issue is made of, without the page's volatile parts (tokens, scripts, chrome
        # outside the email): a re-sync compares this.
        issue.source_hash = hashlib.sha256(repr((issue.title, str(issue.date), issue.number, issue.old_urls,
                                                  issue.html)).encode("utf-8")).hexdigest()
        return issue

    @staticmethod
    def _read(index: TreeIndex, selector) -> str | None:
        el = index.select_one(selector.select)
        if el is None:
            return None
        value = el.get(selector.attr) if selector.attr else el.get_text(" ")
        if isinstance(value, list):
            value = " ".join(value)
        return value.strip() if isinstance(value, str) and value.strip() else None

    @staticmethod
    def _urls_in_links(index: TreeIndex, selectors: list[str], page_url: str | None) -> list[str]:
        """Absolute URLs of the selected links, and of URLs passed inside their query strings."""
        urls: list[str] = []
        for sel in selectors:
            for a in index.select(sel):
                href = absolute(a.get("href", ""), page_url)
                candidates = [href]
                try:
                    candidates += [v for _, v in parse_qsl(urlsplit(href).query) if v.startswith(("http://", "https://"))]
                except ValueError:
                    continue
                for url in candidates:
                    if url not in urls:
                        urls.append(url)
        return urls
