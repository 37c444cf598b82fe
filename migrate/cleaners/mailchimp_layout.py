"""A Mailchimp template's layout, turned into the content blocks it holds.

The `structure` cleaner unwraps any email's tables; this one knows what Mailchimp's blocks mean
before they go (the platform mapping's `template:` section names them):

- hidden preview text (display:none, collapsed) goes: a reader never sees it;
- an image block with a short caption becomes a figure with its caption;
- a divider block becomes a rule between sections (none at the start or the end, never two in a row);
- a text block whose only content is one short line in a large font is a heading;
- text kept with its line breaks (a plain-text campaign) becomes paragraphs, its bare URLs links;
- wrappers around a single block (the new editor nests its blocks deeper than any converter
  should recurse) are taken away, leaving the block;
- a link's title that only repeats its address or its text goes, and an address typed with its
  scheme twice (`http://https://...`) is repaired.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import soupsieve
from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from bs4.element import PreformattedString

from ..dom import BLOCKS, LAYOUT_BLOCKS, attr_text, elements, gone, has_content, style_of
from ..mappings import Problems, _check_selector, register_section
from ..record import Issue
from .base import CleanContext, Cleaner, register

SECTION = "template"
_FONT_SIZE = re.compile(r"font-size:(\d+(?:\.\d+)?)px")
# A bare web address in plain text, up to the space after it (trailing punctuation is not part of it).
_BARE_URL = re.compile(r"https?://[^\s<>\"']+")
_TRAILING = ".,;:!?)]}'\""


@dataclass(frozen=True)
class TemplateRules:
    hidden_styles: tuple[str, ...] = ()
    captions: tuple[str, ...] = ()
    caption_text: tuple[str, ...] = ()
    max_caption_chars: int = 300
    dividers: tuple[str, ...] = ()
    text_blocks: tuple[str, ...] = ()
    heading_min_px: float = 24
    heading_max_chars: int = 80
    preformatted_styles: tuple[str, ...] = ()


_SELECTOR_KEYS = ("captions", "caption_text", "dividers", "text_blocks")
_TEXT_KEYS = ("hidden_styles", "preformatted_styles")
_NUMBER_KEYS = ("max_caption_chars", "heading_min_px", "heading_max_chars")


@register_section(SECTION)
def load_template_rules(value: Any, where: str, problems: Problems) -> TemplateRules | None:
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping of the template's block selectors")
        return None
    allowed = set(_SELECTOR_KEYS) | set(_TEXT_KEYS) | set(_NUMBER_KEYS)
    for key in value:
        if key not in allowed:
            problems.add(where, f"unknown key {key!r} (expected one of: {', '.join(sorted(allowed))})")
    found: dict = {}
    for key in _SELECTOR_KEYS + _TEXT_KEYS:
        items = value.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            problems.add(f"{where}.{key}", "must be a list of strings")
            items = []
        if key in _SELECTOR_KEYS:
            items = [i for i in items if _check_selector(i, f"{where}.{key}", problems)]
        else:
            items = ["".join(i.lower().split()) for i in items]
        found[key] = tuple(items)
    for key in _NUMBER_KEYS:
        if key in value:
            number = value[key]
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number <= 0:
                problems.add(f"{where}.{key}", "must be a number above 0")
            else:
                found[key] = number
    return TemplateRules(**found)


def _compiled(selectors: tuple[str, ...]):
    return soupsieve.compile(", ".join(selectors)) if selectors else None


@register
class MailchimpLayout(Cleaner):
    name = "mailchimp_layout"
    is_document = True  # about the whole document: the chain walks up to it, then on
    platform_section = SECTION

    def __init__(self, context: CleanContext, **options):
        super().__init__(context, **options)
        self.rules: TemplateRules = context.platform.section(SECTION)
        self.captions = _compiled(self.rules.captions)
        self.caption_text = _compiled(self.rules.caption_text)
        self.dividers = _compiled(self.rules.dividers)
        self.text_blocks = _compiled(self.rules.text_blocks)

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        self._hidden(doc)
        self._preformatted(doc)
        if self.captions is not None:
            for block in self.captions.select(doc):
                if not gone(block):
                    self._figure(doc, block)
        if self.text_blocks is not None:
            for block in self.text_blocks.select(doc):
                if not gone(block):
                    self._heading(doc, block)
        if self.dividers is not None:
            for block in self.dividers.select(doc):
                if not gone(block) and not has_content(block):
                    block.replace_with(doc.new_tag("hr"))
            _keep_rules_between_content(doc)
        _collapse_wrappers(doc)
        for a in elements(doc, {"a"}):
            _tidy_link(a)

    # ------------------------------------------------------------------ hidden preview text
    def _hidden(self, doc: BeautifulSoup) -> None:
        for el in elements(doc):
            if gone(el) or el.name in ("html", "body"):
                continue
            style = style_of(el)
            if "display:none" in style and any(marker in style for marker in self.rules.hidden_styles):
                el.decompose()

    # ------------------------------------------------------------------ plain text
    def _preformatted(self, doc: BeautifulSoup) -> None:
        for el in elements(doc):
            if gone(el) or el.name == "pre" or not any(marker in style_of(el) for marker in self.rules.preformatted_styles):
                continue
            if any(isinstance(child, Tag) and child.name in BLOCKS | LAYOUT_BLOCKS for child in el.descendants):
                continue  # laid out with elements already: its line breaks are not its structure
            text = "".join(str(node) for node in el.descendants if isinstance(node, NavigableString) and not isinstance(node, Comment))
            el.clear()
            for paragraph in paragraphs_of(doc, text):
                el.append(paragraph)

    # ------------------------------------------------------------------ captions
    def _figure(self, doc: BeautifulSoup, block: Tag) -> None:
        image = block.find("img")
        found = self.caption_text.select(block) if self.caption_text is not None else []
        captions = [c for c in found if has_content(c) and c.find("img") is None]
        if image is None or len(captions) != 1:
            return
        caption = captions[0]
        words = " ".join(caption.get_text(" ").split())
        blocks = caption.find_all(["p", "li", "ul", "ol", "blockquote", "table", "h1", "h2", "h3", "h4", "h5", "h6"])
        if len(words) > self.rules.max_caption_chars or len(blocks) > 1:
            return  # a text beside an image, not its caption: it stays a paragraph of its own
        linked = image.parent if isinstance(image.parent, Tag) and image.parent.name == "a" else None
        figure = doc.new_tag("figure")
        figure.append((linked or image).extract())
        figcaption = doc.new_tag("figcaption")
        for node in list(caption.contents):
            figcaption.append(node.extract())
        figure.append(figcaption)
        block.replace_with(figure)

    # ------------------------------------------------------------------ headings
    def _heading(self, doc: BeautifulSoup, block: Tag) -> None:
        line = heading_line(block, self.rules)
        if line is None:
            return
        heading = doc.new_tag("h2")
        line.insert_before(heading)
        if line.name in ("p", "div"):
            for node in list(line.contents):
                heading.append(node.extract())
            line.decompose()
        else:
            heading.append(line.extract())


def heading_line(block: Tag, rules: TemplateRules) -> Tag | None:
    """The line a text block holds when it is the author's heading: its only content, one short
    line in a large font; else None."""
    shown = [child for child in block.children if has_content(child)]
    if len(shown) != 1 or not isinstance(shown[0], Tag):
        return None
    line = shown[0]
    if line.name in ("h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "img", "a", "blockquote", "figure"):
        return None
    if line.find(["img", "br", "table", "ul", "ol", "a"]) is not None:
        return None
    words = " ".join(line.get_text(" ").split())
    if not words or len(words) > rules.heading_max_chars:
        return None
    sizes = [float(m) for el in [line, *line.find_all(True)] for m in _FONT_SIZE.findall(style_of(el))]
    if not sizes or max(sizes) < rules.heading_min_px:
        return None
    return line


def first_heading_line(doc: BeautifulSoup, rules: TemplateRules | None) -> str | None:
    """The words of the first text block of a campaign that is a heading line, or None."""
    blocks = _compiled(rules.text_blocks) if rules is not None else None
    for block in blocks.select(doc) if blocks is not None else []:
        line = heading_line(block, rules)
        if line is not None:
            return " ".join(line.get_text(" ").split())
    return None


def paragraphs_of(doc: BeautifulSoup, text: str) -> list[Tag]:
    """Plain text as paragraphs: a blank line ends one, a single line break stays a break, and
    bare web addresses become links. Built as elements, never as markup."""
    blocks = [b for b in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))]
    found = []
    for block in blocks:
        lines = [line.strip() for line in block.strip("\n").split("\n")]
        if not any(lines):
            continue
        paragraph = doc.new_tag("p")
        for i, line in enumerate(lines):
            if i:
                paragraph.append(doc.new_tag("br"))
            _append_linked(doc, paragraph, line)
        found.append(paragraph)
    return found


def _append_linked(doc: BeautifulSoup, parent: Tag, line: str) -> None:
    last = 0
    for match in _BARE_URL.finditer(line):
        url = match.group(0).rstrip(_TRAILING)
        end = match.start() + len(url)
        if match.start() > last:
            parent.append(NavigableString(line[last:match.start()]))
        link = doc.new_tag("a", href=url)
        link.string = url
        parent.append(link)
        last = end
    if last < len(line):
        parent.append(NavigableString(line[last:]))


def _keep_rules_between_content(doc: BeautifulSoup) -> None:
    """Keep a rule only where content comes before it (since the last rule kept) and after it."""
    events: list = []
    for node in doc.descendants:
        if isinstance(node, Tag):
            if node.name == "hr":
                events.append(node)
            elif node.name in ("img", "iframe"):
                events.append(True)
        elif isinstance(node, NavigableString) and not isinstance(node, PreformattedString) and node.strip():
            if not any(isinstance(p, Tag) and p.name in ("style", "script", "title", "head") for p in node.parents):
                events.append(True)
    content_before = False
    pending: Tag | None = None
    for event in events:
        if event is True:
            if pending is not None:
                pending = None  # content after the rule: it stays
            content_before = True
        elif not content_before or pending is not None:
            event.decompose()
        else:
            pending = event
            content_before = False
    if pending is not None:
        pending.decompose()


def _collapse_wrappers(doc: BeautifulSoup) -> None:
    """Unwrap each layout element whose only content is one other layout element, deepest first:
    the block boundaries stay, the nesting goes."""
    for el in reversed(elements(doc, LAYOUT_BLOCKS - {"body"})):
        if gone(el) or el.parent is None:
            continue
        shown = [child for child in el.children
                 if isinstance(child, Tag) or (not isinstance(child, PreformattedString) and child.strip())]
        if len(shown) == 1 and isinstance(shown[0], Tag) and shown[0].name in LAYOUT_BLOCKS - {"body"}:
            el.unwrap()


def _tidy_link(a: Tag) -> None:
    href = attr_text(a, "href")
    title = attr_text(a, "title")
    if title and (title == href or title == " ".join(a.get_text(" ").split())):
        del a["title"]
    try:
        parts = urlsplit(href)
    except ValueError:
        return
    if parts.scheme in ("http", "https") and parts.netloc.lower() in ("http:", "https:") and parts.path.startswith("//"):
        inner = urlsplit(parts.path)
        if inner.netloc:
            a["href"] = urlunsplit((parts.netloc[:-1].lower(), inner.netloc, inner.path, parts.query, parts.fragment))
