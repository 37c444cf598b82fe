"""Substack's embed blocks become links, or Hugo shortcodes with `embeds: shortcode`.

Substack's editor keeps what each embed shows in a `data-attrs` JSON: a YouTube or Vimeo
`videoId`, a tweet's `url`, `full_text`, `name` and `username`, a Spotify or SoundCloud `url` and
`title`. The platform mapping's `data_embeds` section lists which blocks are which `kind`:

- `youtube`, `vimeo`: the video's page (with its start time), or Hugo's `youtube`/`vimeo` shortcode;
- `tweet`: the tweet's text as a quote with its author and a link to it, or Hugo's `x` shortcode;
- `link`: a link to the `url`, named by the `title`.

The player around it (iframes, avatars, like counts) goes with the block. This cleaner runs after
`shortcodes`, which removes shortcode elements that came with the source, so the ones made here
are kept; their values are checked again by the converter before Hugo sees them.
"""
from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urlunsplit

from bs4 import BeautifulSoup, Tag

from .. import jsondata
from ..dom import attr_text
from ..mappings import Problems, _check_keys, _check_selector, register_section
from ..selectors import SelectorRules
from ..urls import absolute
from .base import Cleaner, Walk, register
from .shortcodes import classify, embed_element

KINDS = ("youtube", "vimeo", "tweet", "link")
_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_START = re.compile(r"\d{1,6}s?")


@register_section("data_embeds")
def load_data_embeds(value: Any, where: str, problems: Problems) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        problems.add(where, "must be a list of `{select: ..., kind: ...}`")
        return []
    rules = []
    for i, item in enumerate(value):
        item_where = f"{where}[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("select"), str) or item.get("kind") not in KINDS:
            problems.add(item_where, f"must be a mapping with `select:` and `kind:` ({', '.join(KINDS)})")
            continue
        _check_keys(item, {"select", "kind"}, item_where, problems)
        if _check_selector(item["select"], item_where, problems):
            rules.append((item["select"], item["kind"]))
    return rules


def data_attrs(el: Tag) -> dict:
    try:
        value = jsondata.loads(attr_text(el, "data-attrs") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _text(value) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _web_url(value) -> str:
    url = absolute(value.strip()) if isinstance(value, str) else ""
    return url if url.startswith(("https://", "http://")) else ""


@register
class SubstackEmbeds(Cleaner):
    name = "substack_embeds"
    platform_section = "data_embeds"

    def __init__(self, context, **options):
        super().__init__(context, **options)
        self.rules = SelectorRules(context.platform.section("data_embeds"))
        self.hand_over(self.rules)

    def visit(self, block: Tag, walk: Walk):
        kind = self.rules.first(block)
        if kind is None:
            return None
        replacement = getattr(self, f"_{kind}")(walk.doc, block, data_attrs(block))
        if replacement is None:
            walk.issue.warnings.append(f"a {kind} embed names nothing to link to; it was left out")
            block.decompose()
            return None
        block.replace_with(replacement)
        return replacement

    def _player(self, doc: BeautifulSoup, url: str, text: str = "") -> Tag:
        """A shortcode where the run wants one and Hugo has one, else a paragraph with a link."""
        if self.context.embeds == "shortcode" and classify(url).shortcode:
            return embed_element(doc, url, "shortcode", block=True)
        paragraph = doc.new_tag("p")
        link = doc.new_tag("a", href=url)
        link.string = text or url
        paragraph.append(link)
        return paragraph

    def _frame_url(self, block: Tag) -> str:
        frame = block if block.name == "iframe" else block.find("iframe")
        return _web_url(attr_text(frame, "src")) if frame is not None else ""

    def _youtube(self, doc, block, attrs) -> Tag | None:
        video = attrs.get("videoId")
        if isinstance(video, str) and _VIDEO_ID.fullmatch(video):
            query = {"v": video}
            start = attrs.get("startTime")
            if isinstance(start, (str, int)) and _START.fullmatch(str(start)):
                query["t"] = str(start)
            return self._player(doc, urlunsplit(("https", "www.youtube.com", "/watch", urlencode(query), "")))
        frame = self._frame_url(block)
        return self._player(doc, frame) if frame else None

    def _vimeo(self, doc, block, attrs) -> Tag | None:
        video = attrs.get("videoId")
        if isinstance(video, (str, int)) and str(video).isdigit():
            return self._player(doc, urlunsplit(("https", "vimeo.com", f"/{video}", "", "")))
        frame = self._frame_url(block)
        return self._player(doc, frame) if frame else None

    def _tweet(self, doc, block, attrs) -> Tag | None:
        url = _web_url(attrs.get("url"))
        if not url:
            link = block.find("a", href=True)
            url = _web_url(attr_text(link, "href")) if link is not None else ""
        if not url:
            return None
        if self.context.embeds == "shortcode" and classify(url).shortcode:
            return embed_element(doc, url, "shortcode", block=True)
        text = _text(attrs.get("full_text"))
        if not text:
            shown = block.select_one(".tweet-text")
            text = _text(shown.get_text(" ")) if shown is not None else ""
        name, handle = _text(attrs.get("name")), _text(attrs.get("username"))
        author = f"{name} (@{handle})" if name and handle else (name or (f"@{handle}" if handle else url))
        quote = doc.new_tag("blockquote")
        if text:
            said = doc.new_tag("p")
            said.string = text
            quote.append(said)
        byline = doc.new_tag("p")
        byline.append(doc.new_string("— "))
        link = doc.new_tag("a", href=url)
        link.string = author
        byline.append(link)
        quote.append(byline)
        return quote

    def _link(self, doc, block, attrs) -> Tag | None:
        url = _web_url(attrs.get("url")) or self._frame_url(block)
        if not url:
            link = block.find("a", href=True)
            url = _web_url(attr_text(link, "href")) if link is not None else ""
        return self._player(doc, url, _text(attrs.get("title"))) if url else None
