"""Link cards become one card, in the same shape whatever the platform.

A newsletter's link card shows a thumbnail, the linked page's title, a description and the
page's domain; each platform marks the parts its own way (Revue's saved pages: a linked
thumbnail, `.link-title`, a description, a `.link-url` line ending in "share"; its API's item
HTML: a floated thumbnail and a block-styled `<strong>` with the title and the domain, both
linking the page). Left alone they become loose paragraphs that link the same page three times.
Each card becomes:

    the thumbnail, not linked (when the card has one)
    **[Title](page)** — domain      (the domain only where the title does not already name it)
    the description

The platform mapping's `link_cards` section says how its cards are marked: per card shape, the
card's selector and its parts' selectors inside it (`title` is the title's link; `thumbnail`,
`description` and `domain` are optional; without `description`, what remains of the card is).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag

from ..dom import BLOCKS, attr_text, gone, has_content
from ..mappings import Problems, _check_keys, _check_selector, register_section
from ..selectors import Matcher, SelectorRules
from ..urls import host_of
from .base import Cleaner, Walk, register

SEPARATOR = " — "


@dataclass(frozen=True)
class CardShape:
    card: str
    title: str
    thumbnail: str | None = None
    description: str | None = None
    domain: str | None = None


@register_section("link_cards")
def load_link_cards(value: Any, where: str, problems: Problems) -> list[CardShape]:
    if not isinstance(value, list):
        problems.add(where, "must be a list of card shapes, each with `card:` and `title:` selectors")
        return []
    shapes = []
    for i, item in enumerate(value):
        item_where = f"{where}[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("card"), str) or not isinstance(item.get("title"), str):
            problems.add(item_where, "must be a mapping with `card:` and `title:` selectors")
            continue
        _check_keys(item, {"card", "title", "thumbnail", "description", "domain"}, item_where, problems)
        parts = {key: item.get(key) for key in ("card", "title", "thumbnail", "description", "domain")}
        if all(value is None or (isinstance(value, str) and _check_selector(value, item_where, problems))
               for value in parts.values()):
            shapes.append(CardShape(**parts))
    return shapes


def _words(el) -> str:
    return " ".join(el.get_text(" ").split()) if el is not None else ""


def _domain_adds(domain: str, title: str) -> bool:
    """Whether naming the domain tells the reader something the title does not."""
    bare = domain.lower().removeprefix("www.")
    return bool(bare) and bare not in title.lower()


@register
class LinkCards(Cleaner):
    name = "link_cards"
    platform_section = "link_cards"

    def __init__(self, context, **options):
        super().__init__(context, **options)
        shapes = context.platform.section("link_cards")
        self.cards = SelectorRules((shape.card, {key: Matcher(sel) for key, sel in vars(shape).items() if sel and key != "card"})
                                   for shape in shapes)
        self.hand_over(self.cards)

    def visit(self, card: Tag, walk: Walk):
        parts = self.cards.first(card)
        if parts is None:
            return None
        return self._rebuild(walk.doc, card, parts)

    def _rebuild(self, doc: BeautifulSoup, card: Tag, parts: dict) -> list | None:
        """The card as its pieces, in its place; the pieces (None when it is not rebuilt)."""
        title_link = parts["title"].select_one(card)
        href = attr_text(title_link, "href") if title_link is not None else ""
        if not href:
            return None
        title = _words(title_link)
        thumbnail = parts["thumbnail"].select_one(card) if "thumbnail" in parts else None
        domain_line = parts["domain"].select_one(card) if "domain" in parts else None
        description = parts["description"].select_one(card) if "description" in parts else None
        # The domain line's first link (or its text) names the domain; "• share" and the like go.
        named = domain_line.find("a") if domain_line is not None else None
        domain = _words(named if named is not None else domain_line) or host_of(href)

        pieces: list[Tag] = []
        if thumbnail is not None:
            wrapper = thumbnail.parent if isinstance(thumbnail.parent, Tag) and thumbnail.parent.name == "a" else None
            holder = doc.new_tag("p")
            holder.append(thumbnail.extract())
            if wrapper is not None and not has_content(wrapper):
                wrapper.decompose()
            pieces.append(holder)
        head = doc.new_tag("p")
        strong = doc.new_tag("strong")
        link = doc.new_tag("a", href=href)
        for node in list(title_link.contents):
            link.append(node.extract())
        strong.append(link)
        head.append(strong)
        if domain and _domain_adds(domain, title):
            head.append(doc.new_string(SEPARATOR + domain))
        pieces.append(head)
        _remove_with_empty_parents(title_link, card)
        if domain_line is not None and not gone(domain_line):
            _remove_with_empty_parents(domain_line, card)
        body = description if description is not None else card
        if has_content(body):
            text = doc.new_tag("div" if any(isinstance(n, Tag) and n.name in BLOCKS for n in body.descendants) else "p")
            for node in list(body.contents):
                text.append(node.extract())
            _drop_leading_separator(text)
            if has_content(text):
                pieces.append(text)
        for piece in pieces:
            card.insert_before(piece)
        card.decompose()
        return pieces


def _remove_with_empty_parents(el: Tag, card: Tag) -> None:
    """Remove an element, and each ancestor inside the card it leaves with nothing to show."""
    parent = el.parent
    el.decompose()
    while isinstance(parent, Tag) and parent is not card and not has_content(parent):
        above = parent.parent
        parent.decompose()
        parent = above


def _drop_leading_separator(text: Tag) -> None:
    """What remains of a card may start with the dash that stood between its title and domain."""
    first = next((n for n in text.descendants if isinstance(n, NavigableString) and n.strip()), None)
    if first is not None and first.strip() in ("—", "–", "-", "•"):
        first.extract()
