"""Tracking parameters leave every link and image URL (the list is mappings/tracking.yaml)."""
from __future__ import annotations

from bs4 import BeautifulSoup

from ..record import Issue
from ..urls import strip_tracking
from .base import Cleaner, register

URL_ATTRIBUTES = {"a": "href", "img": "src"}


@register
class Tracking(Cleaner):
    name = "tracking"

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        rules = self.context.mappings.tracking
        for tag, attr in URL_ATTRIBUTES.items():
            for el in doc.find_all(tag, attrs={attr: True}):
                cleaned, removed = strip_tracking(str(el[attr]), rules)
                if removed:
                    el[attr] = cleaned
                    issue.tracking_removed += removed
