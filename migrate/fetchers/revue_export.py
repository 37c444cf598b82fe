"""`revue-export`: Revue's account export, a folder or a zip.

The export holds an issues CSV (`id,description,sent_at,subject,preheader`; file name starting
`issues`) and an items JSON (file name starting `items`: every block of every issue, with
`issue_id`, `item_type` and `order`). An issue's body is its description followed by its items in
order, rendered as Revue rendered them: headers, text, captioned images, link cards (thumbnail,
title, description, source domain), tweets as quotes with their author and link, and videos.

The export carries no URLs, so old paths are rebuilt from the subject and id (marked inferred);
set `profile:` in the config to add the getrevue.co profile form too.
"""
from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from pathlib import Path
from typing import IO, Iterator

import ijson
from bs4 import BeautifulSoup, Tag

from ..archives import ArchiveFiles
from ..dom import parse_html
from ..errors import UserError
from ..files import Utf8Stream
from ..jsondata import array_entries
from ..mappings import parse_date
from ..record import Issue, SourceProblem, Unchanged
from ..urls import host_of
from .base import Fetcher, register
from .csvrows import column_values, csv_reader, csv_rows
from .revue import clean_title, infer_issue_path, number_from_text, revue_issue_ref

@register
class RevueExportFetcher(Fetcher):
    name = "revue-export"
    listing = "archive"
    source_signs = {"files": ("issues*.csv", "items*.json")}
    platform = "revue"
    issue_ref = staticmethod(revue_issue_ref)
    help = "Revue account export: the zip, or the folder with issues*.csv and items*.json"

    @classmethod
    def check_source(cls, source: str) -> None:
        # A hostile zip is refused on opening, a damaged one on reading: both before anything is written.
        files = ArchiveFiles(Path(source), what="Revue export")
        try:
            issues_csv, items_json = cls._members(files, source)
            files.verify([issues_csv] + ([items_json] if items_json else []))
        finally:
            files.close()

    @staticmethod
    def _members(files: ArchiveFiles, source: str) -> tuple[str, str | None]:
        issues_csv = files.find("issues", ".csv")
        if issues_csv is None:
            raise UserError(f"{source} has no issues CSV (a file named issues*.csv); give --source the zip or folder of a Revue account export.")
        return issues_csv, files.find("items", ".json")

    def entries(self) -> Iterator[Issue | SourceProblem | Unchanged]:
        files = ArchiveFiles(Path(self.source), what="Revue export")
        try:
            issues_csv, items_json = self._members(files, self.source)
            ref = str(Path(self.source).resolve())
            body_hash = files.digest([issues_csv] + ([items_json] if items_json else []))
            if self.context.unchanged_else_remember(ref, body_hash):
                yield Unchanged(ref, whole_source=True)
                return
            items_by_issue: dict[str, list[dict]] = defaultdict(list)
            problems: list[SourceProblem] = []
            if items_json is None:
                problems.append(SourceProblem(str(self.source), "has no items JSON (items*.json); issues keep only their description"))
            else:
                with files.open(items_json) as handle:
                    self._read_items(handle, items_json, items_by_issue, problems)
            yield from problems
            self.context.expect(lambda: len(problems) + self._count(files, issues_csv, items_by_issue))
            with files.open(issues_csv) as handle:
                yield from self._read_issues(handle, issues_csv, items_by_issue)
        finally:
            files.close()

    # ------------------------------------------------------------------ reading
    @staticmethod
    def _count(files: ArchiveFiles, issues_csv: str, items_by_issue: dict) -> int:
        """The entries the export gives: a row each, and a problem for each issue that has items
        but no row."""
        with files.open(issues_csv) as handle:
            ids = column_values(handle, "id")
        return len(ids) + len(set(items_by_issue) - set(ids))

    @staticmethod
    def _read_items(handle: IO[bytes], name: str, out: dict[str, list[dict]], problems: list[SourceProblem]) -> None:
        # JSON must be UTF-8; bytes that are not become U+FFFD (and a warning on their issue)
        # rather than losing every item after them.
        try:
            for i, item in enumerate(array_entries(io.BufferedReader(Utf8Stream(handle)))):
                if isinstance(item, dict) and item.get("issue_id") is not None:
                    issue_id = item["issue_id"]
                    out[str(int(issue_id)) if isinstance(issue_id, float) else str(issue_id)].append(item)
                else:
                    problems.append(SourceProblem(f"{name}[{i}]", "the item has no issue_id and belongs to no issue"))
        except ijson.JSONError as exc:
            problems.append(SourceProblem(name, f"the JSON is broken ({exc}); items after the break are missing"))

    def _read_issues(self, handle: IO[bytes], name: str, items: dict[str, list[dict]]) -> Iterator[Issue | SourceProblem]:
        reader = csv_reader(handle)
        order = -1
        missing = {"id", "subject"} - set(reader.fieldnames or [])
        if missing:
            raise UserError(f"{name} lacks the column(s) {', '.join(sorted(missing))}; give --source a Revue account export, whose issues CSV has them.")
        for order, row in enumerate(csv_rows(reader, name)):
            if isinstance(row, SourceProblem):
                yield row
                return
            ref = f"{name} row {order + 2}"
            extra = row.pop(None, None)  # csv puts the values of a row longer than the header here
            issue_id = (row.get("id") or "").strip()
            if not issue_id:
                yield SourceProblem(ref, "the row has no id", order)
                continue
            try:
                issue = self._issue(row, issue_id, items.pop(issue_id, []), f"{ref} (id {issue_id})", order)
            except Exception as exc:  # one malformed row must not end the run
                yield SourceProblem(f"{ref} (id {issue_id})", f"could not be read ({type(exc).__name__}: {exc})", order, issue_id)
                continue
            if extra:
                issue.warnings.append(f"its CSV row has {len(extra)} value(s) more than the header; they were ignored")
            yield issue
        for orphan_id in sorted(items):
            yield SourceProblem(f"{name}", f"{len(items[orphan_id])} item(s) belong to issue {orphan_id}, which the CSV does not list", order + 1)

    def _issue(self, row: dict, issue_id: str, items: list[dict], ref: str, order: int) -> Issue:
        doc = BeautifulSoup("<html><body></body></html>", "lxml")
        body = doc.body
        _append_html(doc, body, row.get("description"))
        for item in sorted(items, key=_item_order):
            render_item(doc, body, item)
        digest = hashlib.sha256(repr((sorted(row.items()), [sorted(i.items()) for i in items])).encode()).hexdigest()
        issue = Issue(platform=self.platform, source_id=issue_id, html="", source_ref=ref, order=order, source_hash=digest)
        issue.html = body.decode_contents()
        issue.title = clean_title(row.get("subject"), self.mapping, decode_entities=True)
        if "\ufffd" in issue.html or "\ufffd" in (issue.title or ""):
            issue.warnings.append("the export had bytes that are not text in its encoding; they show as \ufffd")
        issue.number = number_from_text(issue.title)
        preheader = (row.get("preheader") or "").strip()
        if preheader:
            issue.description = " ".join(BeautifulSoup(preheader, "lxml").get_text(" ").split())
        try:
            issue.date = parse_date((row.get("sent_at") or "").strip())
        except ValueError:
            issue.warnings.append(f"sent_at {row.get('sent_at')!r} is not a date; the issue has no date")
        issue.draft = issue.date is None
        if not issue.draft:
            # The export has no URLs: rebuild the paths Revue gave sent issues.
            infer_issue_path(issue)
            profile = self.context.options.get("profile")
            if profile:
                infer_issue_path(issue, profile)
        return issue


def _item_order(item: dict):
    value = item.get("order")
    return (value is None, value if isinstance(value, (int, float)) else 0)


# ---------------------------------------------------------------------- rendering items

def _append_html(doc: BeautifulSoup, parent: Tag, fragment: str | None) -> None:
    """Parse an HTML fragment and move its nodes under `parent` (through the tree, not text)."""
    if not fragment or not str(fragment).strip():
        return
    parsed = parse_html(str(fragment))
    source = parsed.body or parsed
    for node in list(source.contents):
        parent.append(node.extract())


def _tag(doc: BeautifulSoup, name: str, text: str | None = None, **attrs) -> Tag:
    el = doc.new_tag(name, attrs={k: v for k, v in attrs.items() if v})
    if text:
        el.string = text
    return el


def _str(item: dict, key: str) -> str:
    value = item.get(key)
    return value.strip() if isinstance(value, str) else ""


def _paragraph(doc: BeautifulSoup, *children) -> Tag:
    paragraph = _tag(doc, "p")
    for child in children:
        paragraph.append(doc.new_string(child) if isinstance(child, str) else child)
    return paragraph


def _link_or_text(doc: BeautifulSoup, text: str, url: str):
    return _tag(doc, "a", text or url, href=url) if url else doc.new_string(text)


def _thumbnail(doc: BeautifulSoup, body: Tag, image: str, title: str) -> None:
    if image:
        body.append(_paragraph(doc, _tag(doc, "img", src=image, alt=title or None)))


def _render_header(doc, body, item, title, url, description, image) -> None:
    if title:
        body.append(_tag(doc, "h2", title))
    _append_html(doc, body, description)


def _render_text(doc, body, item, title, url, description, image) -> None:
    if title:
        body.append(_tag(doc, "p", title))
    _append_html(doc, body, description)


def _render_image(doc, body, item, title, url, description, image) -> None:
    figure = _tag(doc, "figure")
    if image:
        figure.append(_tag(doc, "img", src=image, alt=title or None))
    caption = _tag(doc, "figcaption")
    _append_html(doc, caption, description if description else title)
    if caption.get_text(strip=True):
        figure.append(caption)
    body.append(figure)
    if url and image:  # an image item may link somewhere: keep the link under the picture
        body.append(_paragraph(doc, _tag(doc, "a", url, href=url)))


def _render_link(doc, body, item, title, url, description, image) -> None:
    """A link card: thumbnail, bold linked title with the source domain, description."""
    _thumbnail(doc, body, image, title)
    strong = _tag(doc, "strong")
    strong.append(_link_or_text(doc, title, url))
    domain = host_of(url)
    body.append(_paragraph(doc, strong, f" — {domain}") if domain else _paragraph(doc, strong))
    _append_html(doc, body, description)


def _render_tweet(doc, body, item, title, url, description, image) -> None:
    """A tweet: its text as a quote, then its author and a link to it."""
    quote = _tag(doc, "blockquote")
    _append_html(doc, quote, _str(item, "tweet_description") or description)
    handle = _str(item, "tweet_handle")
    author = title or (f"@{handle}" if handle else "")
    label = f"{author} (@{handle})" if handle and author and not author.startswith("@") else (author or url)
    quote.append(_paragraph(doc, "— ", _link_or_text(doc, label, url)))
    body.append(quote)


def _render_video(doc, body, item, title, url, description, image) -> None:
    _thumbnail(doc, body, image, title)
    body.append(_paragraph(doc, _link_or_text(doc, title, url)))
    _append_html(doc, body, description)


ITEM_RENDERERS = {"header": _render_header, "text": _render_text, "image": _render_image,
                  "link": _render_link, "tweet": _render_tweet, "video": _render_video}


def render_item(doc: BeautifulSoup, body: Tag, item: dict) -> None:
    """Append one export item to the issue body, as Revue rendered its kind; an unknown kind
    keeps its title and description rather than losing them."""
    render = ITEM_RENDERERS.get(_str(item, "item_type").lower(), _render_text)
    render(doc, body, item, _str(item, "title"), _str(item, "url"), item.get("description"),
           _str(item, "original_image_url") or _str(item, "image"))
