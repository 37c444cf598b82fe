"""Tracking parameters leave every link and image URL (the list is mappings/tracking.yaml), a
link's words when they show an address, and an address written out in the text, which Hugo's
Markdown (linkify) turns into a link of its own."""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString

from ..dom import elements, in_code
from ..mappings import TrackingRules
from ..record import Issue
from ..urls import strip_tracking
from .base import Cleaner, register

URL_ATTRIBUTES = {"a": "href", "img": "src"}
# An address written out in running text, as linkify finds one: it ends before a space or a
# bracket, and punctuation that closes a sentence is not part of it.
_ADDRESS_IN_TEXT = re.compile(r"https?://[^\s<>\"'\[\]]+")
_CLOSING = ".,;:!?)'\""


@register
class Tracking(Cleaner):
    name = "tracking"

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        strip_tracking_in(doc, self.context.mappings.tracking, issue)


def strip_tracking_in(doc: BeautifulSoup, rules: TrackingRules, issue: Issue) -> None:
    """Remove the parameters `rules` name from every link and image; the issue counts them."""
    for el in elements(doc, URL_ATTRIBUTES.keys()):
        attr = URL_ATTRIBUTES[el.name]
        if el.has_attr(attr):
            cleaned, removed = strip_tracking(str(el[attr]), rules)
            if removed:
                el[attr] = cleaned
                issue.tracking_removed += removed
        if el.name == "a":
            _shown_address_without_tracking(el, rules)
    for text in list(doc.find_all(string=_ADDRESS_IN_TEXT)):
        if type(text) is NavigableString and not in_code(text) and text.find_parent("a") is None:
            _strip_in_text(text, rules, issue)


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


def _strip_in_text(text: NavigableString, rules: TrackingRules, issue: Issue) -> None:
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
    if removed_here:
        text.replace_with(value)
        issue.tracking_removed += removed_here
