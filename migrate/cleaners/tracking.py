"""Tracking parameters leave every link and image URL (the list is mappings/tracking.yaml)."""
from __future__ import annotations

from bs4 import BeautifulSoup

from ..dom import elements
from ..record import Issue
from ..urls import strip_tracking
from .base import Cleaner, register

URL_ATTRIBUTES = {"a": "href", "img": "src"}


@register
class Tracking(Cleaner):
    name = "tracking"

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        rules = self.context.mappings.tracking
        for el in elements(doc, URL_ATTRIBUTES.keys()):
            attr = URL_ATTRIBUTES[el.name]
            if el.has_attr(attr):
                cleaned, removed = strip_tracking(str(el[attr]), rules)
                if removed:
                    el[attr] = cleaned
                    issue.tracking_removed += removed
