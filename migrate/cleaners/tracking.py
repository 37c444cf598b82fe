"""Tracking parameters leave every link and image URL (the list is mappings/tracking.yaml), a
link's words when they show an address, and an address written out in the text, which Hugo's
Markdown (linkify) turns into a link of its own."""
from __future__ import annotations

import re

from bs4 import NavigableString, Tag

from ..dom import in_code
from ..mappings import TrackingRules
from ..record import Issue
from ..urls import strip_tracking
from .base import Cleaner, Walk, register

URL_ATTRIBUTES = {"a": "href", "img": "src"}
# An address written out in running text, as linkify finds one: it ends before a space or a
# bracket, and punctuation that closes a sentence is not part of it.
_ADDRESS_IN_TEXT = re.compile(r"https?://[^\s<>\"'\[\]]+")
_CLOSING = ".,;:!?)'\""


@register
class Tracking(Cleaner):
    name = "tracking"
    tags = frozenset(URL_ATTRIBUTES)
    texts = True

    def visit(self, el: Tag, walk: Walk):
        strip_tracking_from(el, self.context.mappings.tracking, walk.issue)
        return None

    def visit_text(self, node: NavigableString, walk: Walk):
        return strip_tracking_in_text(node, self.context.mappings.tracking, walk.issue)


def strip_tracking_from(el: Tag, rules: TrackingRules, issue: Issue) -> None:
    """Remove the parameters `rules` name from a link's or image's URL (and from a link's text when
    it is the address itself); the issue counts them."""
    attr = URL_ATTRIBUTES[el.name]
    if el.has_attr(attr):
        original = str(el[attr])
        cleaned, removed = strip_tracking(original, rules)
        if removed:
            el[attr] = cleaned
            issue.tracking_removed += removed
    if el.name == "a":
        _shown_address_without_tracking(el, rules)


def strip_tracking_in_text(text: NavigableString, rules: TrackingRules, issue: Issue) -> list | None:
    """Remove them from the addresses written out in a text node (not in code, not in a link,
    whose text its own element handles); the node that replaced it, if one did, in a list."""
    if type(text) is NavigableString and "://" in text and _ADDRESS_IN_TEXT.search(text) and not in_code(text) \
            and text.find_parent("a") is None:
        return _strip_in_text(text, rules, issue)
    return None


def _shown_address_without_tracking(link, rules: TrackingRules) -> None:
    """A link whose words are an address (an autolink, `<b>https://...</b>`, `www.x.example/...`)
    shows it as the link now leads: without its tracking parameters."""
    for text in [node for node in link.descendants if type(node) is NavigableString]:
        shown = text.strip()
        if " " in shown or not shown.lower().startswith(("http://", "https://", "www.")):
            continue
        bare = not shown.lower().startswith(("http://", "https://"))
        cleaned, removed = strip_tracking("http://" + shown if bare else shown, rules)
        if removed:
            cleaned = cleaned[len("http://"):] if bare else cleaned
            text.replace_with(NavigableString(text.replace(shown, cleaned)))


def _strip_in_text(text: NavigableString, rules: TrackingRules, issue: Issue) -> list | None:
    removed_here = 0

    def clean(match: re.Match) -> str:
        nonlocal removed_here
        address = match.group(0)
        tail = len(address) - len(address.rstrip(_CLOSING))
        address, closing = (address[:-tail], address[-tail:]) if tail else (address, "")
        cleaned, removed = strip_tracking(address, rules)
        removed_here += removed
        return cleaned + closing

    value = _ADDRESS_IN_TEXT.sub(clean, str(text))
    if not removed_here:
        return None
    new = NavigableString(value)
    text.replace_with(new)
    issue.tracking_removed += removed_here
    return [new]
