"""Platform text shortcodes and embedded players become links, Hugo shortcodes, or figures.

- `[tweet URL]` and `[embed URL]` (Revue) become a link, or with `embeds: shortcode` a Hugo
  shortcode (`youtube`, `vimeo`, `x`) when the URL is one Hugo has a shortcode for.
- `[caption ...]<img ...>text[/caption]` becomes a figure: the image and its caption.
- iframes of known players (the platform's `embed_hosts`) become the same links or shortcodes;
  any other iframe is left for the unsafe cleaner to remove.
- A bare URL alone in its paragraph (`bare_url`: Buttondown showed a YouTube, Vimeo or tweet URL
  on a line of its own as the player) becomes the same link or shortcode, when it is one Hugo has
  a shortcode for; any other bare URL stays the text it was.

The text shortcodes are a platform's own: only those its mapping lists under `text_shortcodes`
are read, and never inside code, where an article about them shows them as written. They are
found in text nodes and replaced through the parse tree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag

from ..dom import attr_text, has_content, in_code, is_made_here, made_here
from ..mappings import Problems, register_section
from ..urls import absolute, host_matches
from .base import Cleaner, Walk, register

_EMBED = re.compile(r"\[(tweet|embed)\s+([^\]\s]+)\s*\]", re.IGNORECASE)
_CAPTION_OPEN = re.compile(r"\[caption\b([^\]]*)\]", re.IGNORECASE)
_CAPTION_CLOSE = re.compile(r"\[/caption\]", re.IGNORECASE)
_CAPTION_ATTR = re.compile(r"caption\s*=\s*\"([^\"]*)\"|caption\s*=\s*'([^']*)'", re.IGNORECASE)
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
TEXT_SHORTCODES = ("tweet", "embed", "caption", "bare_url")


@register_section("text_shortcodes")
def load_text_shortcodes(value, where: str, problems: Problems) -> frozenset[str]:
    if not isinstance(value, list) or not all(v in TEXT_SHORTCODES for v in value):
        problems.add(where, f"must be a list of the text shortcodes the platform writes ({', '.join(TEXT_SHORTCODES)})")
        return frozenset()
    return frozenset(value)



@dataclass(frozen=True)
class Embed:
    url: str
    shortcode: str | None = None
    params: tuple[tuple[str, str], ...] = ()


def classify(url: str) -> Embed:
    """Which Hugo shortcode can show this URL, if any."""
    url = absolute(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return Embed(url)
    host, path = (parts.hostname or "").lower(), parts.path
    segments = [s for s in path.split("/") if s]
    if host_matches(host, ["youtube.com", "youtube-nocookie.com"]):
        video = parse_qs(parts.query).get("v", [None])[0]
        if not video and len(segments) >= 2 and segments[0] in ("embed", "shorts", "live", "v"):
            video = segments[1]
        if video and _ID.match(video):
            return Embed(url, "youtube", (("id", video),))
    if host == "youtu.be" and segments and _ID.match(segments[0]):
        return Embed(url, "youtube", (("id", segments[0]),))
    if host_matches(host, ["vimeo.com"]):
        numeric = next((s for s in segments if s.isdigit()), None)
        if numeric:
            return Embed(url, "vimeo", (("id", numeric),))
    if host_matches(host, ["twitter.com", "x.com"]) and len(segments) >= 3 and segments[1] == "status":
        user, status = segments[0], segments[2]
        if _ID.match(user) and status.isdigit():
            return Embed(url, "x", (("user", user), ("id", status)))
    return Embed(url)


def embed_element(doc: BeautifulSoup, url: str, mode: str, block: bool) -> Tag:
    """The element that stands for an embedded URL: a Hugo shortcode block or a link."""
    embed = classify(url)
    if mode == "shortcode" and embed.shortcode and block:
        el = made_here(doc.new_tag("nm-shortcode", attrs={"data-name": embed.shortcode}))
        for key, value in embed.params:
            el[f"data-{key}"] = value
        return el
    link = doc.new_tag("a", href=embed.url)
    link.string = embed.url
    if not block:
        return link
    paragraph = doc.new_tag("p")
    paragraph.append(link)
    return paragraph


@register
class Shortcodes(Cleaner):
    name = "shortcodes"
    tags = frozenset({"nm-shortcode", "iframe"})

    def __init__(self, context, **options):
        super().__init__(context, **options)
        self.written = context.platform.section("text_shortcodes", frozenset())
        self.texts = bool(self.written & {"caption", "tweet", "embed"})
        if "bare_url" in self.written:
            self.leave_tags = frozenset({"p"})

    def visit(self, el: Tag, walk: Walk):
        if el.name == "nm-shortcode":
            # Only cleaners make shortcode elements; one that comes with the source is forged.
            if not is_made_here(el):
                el.decompose()
            return None
        # An iframe of a known player becomes a link or a shortcode; any other is left for the
        # unsafe cleaner to remove.
        src = absolute(attr_text(el, "src"))
        if host_matches(urlsplit(src).hostname or "", self.context.platform.embed_hosts):
            replacement = embed_element(walk.doc, src, self.context.embeds, block=True)
            el.replace_with(replacement)
            return replacement
        return None

    def visit_text(self, text: NavigableString, walk: Walk) -> list | None:
        value = str(text)
        if "[" not in value or in_code(text):
            return None
        if "caption" in self.written and _CAPTION_OPEN.search(value):
            made = self._caption(walk.doc, text)
            if made is not None:
                return made
        if self.written & {"tweet", "embed"} and _EMBED.search(value):
            return self._embeds(walk.doc, text)
        return None

    # ------------------------------------------------------------------ a URL alone on its line
    def leave(self, paragraph: Tag, walk: Walk) -> None:
        """A paragraph, once its text shortcodes were read: a bare player URL alone in it."""
        if in_code(paragraph) or paragraph.find_parent(["blockquote", "li", "table"]) is not None:
            return
        parts = [child for child in paragraph.contents if has_content(child)]
        if len(parts) != 1:
            return
        part = parts[0]
        if isinstance(part, NavigableString):
            url = str(part).strip()
        elif isinstance(part, Tag) and part.name == "a" and part.get_text(strip=True) == attr_text(part, "href"):
            url = attr_text(part, "href")  # an autolink: <https://youtu.be/...>
        else:
            return
        if " " in url or not url.startswith(("http://", "https://")) or classify(url).shortcode is None:
            return
        paragraph.replace_with(embed_element(walk.doc, url, self.context.embeds, block=True))

    # ------------------------------------------------------------------ [tweet] / [embed]
    def _embeds(self, doc: BeautifulSoup, text: NavigableString) -> list | None:
        """The text's shortcodes as links (or shortcode blocks); the nodes that replaced it."""
        mode = self.context.embeds
        value = str(text)
        if not any(match.group(1).lower() in self.written for match in _EMBED.finditer(value)):
            return None
        parent = text.parent
        alone = _EMBED.fullmatch(value.strip()) is not None
        sole_child = alone and not any(has_content(s) for s in parent.contents if s is not text)
        if alone and (parent.name in ("body", "div", "td", "blockquote", "li") or (parent.name == "p" and sole_child)):
            match = _EMBED.search(value)
            element = embed_element(doc, match.group(2), mode, block=True)
            if parent.name == "p" and sole_child:
                parent.replace_with(element)
            else:
                text.replace_with(element)
            return [element]
        # Inside running text: each shortcode becomes a link in place.
        pieces: list = []
        last = 0
        for match in _EMBED.finditer(value):
            if match.start() > last:
                pieces.append(NavigableString(value[last:match.start()]))
            pieces.append(embed_element(doc, match.group(2), mode, block=False))
            last = match.end()
        if last < len(value):
            pieces.append(NavigableString(value[last:]))
        for piece in pieces:
            text.insert_before(piece)
        text.extract()
        return pieces

    # ------------------------------------------------------------------ [caption]
    def _caption(self, doc: BeautifulSoup, opening: NavigableString) -> list | None:
        """A [caption]...[/caption] that opens in this text node as a figure; the nodes that
        replaced the opening (None when nothing did)."""
        match = _CAPTION_OPEN.search(str(opening))
        attr_match = _CAPTION_ATTR.search(match.group(1))
        attribute_caption = (attr_match.group(1) or attr_match.group(2)) if attr_match else None
        before, after = str(opening)[:match.start()], str(opening)[match.end():]
        figure = doc.new_tag("figure")
        caption = doc.new_tag("figcaption")
        # The rest of the opening text node, then following siblings, up to [/caption].
        members: list = []
        closed = False
        close_in_opening = _CAPTION_CLOSE.search(after)
        if close_in_opening:
            members.append(NavigableString(after[:close_in_opening.start()]))
            trailing = after[close_in_opening.end():]
            closed = True
        else:
            members.append(NavigableString(after))
            trailing = ""
            sibling = opening.next_sibling
            while sibling is not None and not closed:
                following = sibling.next_sibling
                if isinstance(sibling, NavigableString) and _CAPTION_CLOSE.search(str(sibling)):
                    close = _CAPTION_CLOSE.search(str(sibling))
                    members.append(NavigableString(str(sibling)[:close.start()]))
                    trailing = str(sibling)[close.end():]
                    sibling.extract()
                    closed = True
                    break
                members.append(sibling.extract())
                sibling = following
        if not closed:
            # An unclosed shortcode: drop the marker, leave everything else where it was.
            for member in reversed(members[1:]):
                opening.insert_after(member)
            rest = NavigableString(before + after)
            opening.replace_with(rest)
            return [rest] if _EMBED.search(str(rest)) else []
        for member in members:
            image = member if isinstance(member, Tag) and member.name == "img" else (
                member.find("img") if isinstance(member, Tag) and member.name == "a" else None)
            if image is not None and not figure.find("img"):
                figure.append(member)
            elif isinstance(member, NavigableString):
                if member.strip():
                    caption.append(NavigableString(" ".join(str(member).split())))
            else:
                caption.append(member)
        if not caption.get_text(strip=True) and attribute_caption:
            caption.string = attribute_caption
        if caption.get_text(strip=True):
            figure.append(caption)
        made = [figure]
        if before.strip():
            made.insert(0, NavigableString(before))
            opening.insert_before(made[0])
        if trailing.strip():
            made.append(NavigableString(trailing))
            opening.insert_after(made[-1])
        opening.replace_with(figure)
        return made
