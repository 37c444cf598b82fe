"""A post left nearly empty is named, so the author decides whether it belongs on the site.

Platforms keep stubs: a post started and never written, a podcast page whose audio was the whole
post. After cleaning, a body with fewer than the platform mapping's `stubs: {min_characters: N}`
characters of text (spaces not counted) gets a warning that says what it holds; an override with
`skip: true` leaves it out of the next run.
"""
from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup

from ..dom import elements
from ..mappings import Problems, _check_keys, register_section
from ..record import Issue
from .base import Cleaner, register


@register_section("stubs")
def load_stubs(value: Any, where: str, problems: Problems) -> dict:
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping with `min_characters:`")
        return {}
    _check_keys(value, {"min_characters"}, where, problems)
    least = value.get("min_characters")
    if isinstance(least, bool) or not isinstance(least, int) or least < 1:
        problems.add(f"{where} min_characters", "must be a whole number above 0")
        return {}
    return {"min_characters": least}


@register
class Stubs(Cleaner):
    name = "stubs"
    is_document = True  # about the whole document: the chain walks up to it, then on
    platform_section = "stubs"

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        least = self.context.platform.section("stubs")["min_characters"]
        characters = len("".join(doc.get_text().split()))
        if characters >= least:
            return
        pictures = len(elements(doc, {"img", "nm-shortcode"}))
        holds = f"{characters} character(s) of text" + (f" and {pictures} picture(s) or player(s)" if pictures else "")
        issue.warnings.append(f"is near-empty ({holds}, under the {least} a post needs not to be taken for a stub): "
                              f"check it belongs on the site, or leave it out with `skip: true` under \"{issue.source_id}\" in an overrides file")
