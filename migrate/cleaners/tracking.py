"""Tracking parameters leave every link and image URL (the list is mappings/tracking.yaml)."""
from __future__ import annotations

from bs4 import BeautifulSoup

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
