"""Tracking parameters leave every link and image URL (the list is mappings/tracking.yaml)."""
from __future__ import annotations

from bs4 import Tag

from ..mappings import TrackingRules
from ..record import Issue
from ..urls import strip_tracking
from .base import Cleaner, Walk, register

URL_ATTRIBUTES = {"a": "href", "img": "src"}


@register
class Tracking(Cleaner):
    name = "tracking"
    tags = frozenset(URL_ATTRIBUTES)

    def visit(self, el: Tag, walk: Walk):
        strip_tracking_from(el, self.context.mappings.tracking, walk.issue)
        return None


def strip_tracking_from(el: Tag, rules: TrackingRules, issue: Issue) -> None:
    """Remove the parameters `rules` name from a link's or image's URL; the issue counts them."""
    attr = URL_ATTRIBUTES[el.name]
    if el.has_attr(attr):
        cleaned, removed = strip_tracking(str(el[attr]), rules)
        if removed:
            el[attr] = cleaned
            issue.tracking_removed += removed
