"""Tracking parameters leave every link and image URL (the list is mappings/tracking.yaml), and
the words of a link that show its address show it without them."""
from __future__ import annotations

from bs4 import BeautifulSoup, NavigableString

from ..dom import elements
from ..mappings import TrackingRules
from ..record import Issue
from ..urls import strip_tracking
from .base import Cleaner, register

URL_ATTRIBUTES = {"a": "href", "img": "src"}


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


def _shown_address_without_tracking(link, rules: TrackingRules) -> None:
    """A link whose words are an address (`https://x.example/?utm_source=...`, `www.x.example/...`)
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
