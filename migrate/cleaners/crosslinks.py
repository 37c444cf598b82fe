"""Links between issues point at the issues' new pages.

A link inside an issue to another issue's old URL, in any of its forms (the platform's profile
URL, a custom domain, the archive form, http or https, with or without tracking) is rewritten to
that issue's new path on the site. Which links are such links is the run's to answer, since only
it knows every issue of the archive: this cleaner asks about each absolute link (`asks`) and
applies the answers the run put on the issue.
"""
from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from bs4 import BeautifulSoup, Tag

from ..dom import attr_text, elements
from ..record import Issue
from ..urls import without_fragment
from .base import Cleaner, Walk, register


@register
class CrossLinks(Cleaner):
    name = "crosslinks"
    answers_key = "links"
    tags = frozenset({"a"})

    def asks(self, doc: BeautifulSoup, issue: Issue) -> list[str]:
        """Every absolute link of the body, without its fragment, each once."""
        hrefs = (attr_text(a, "href") for a in elements(doc, {"a"}))
        return list(dict.fromkeys(without_fragment(h) for h in hrefs if h.startswith(("http://", "https://"))))

    def visit(self, a: Tag, walk: Walk):
        href = attr_text(a, "href")
        if not href.startswith(("http://", "https://")):
            return None
        target = (walk.issue.answers.get(self.answers_key) or {}).get(without_fragment(href))
        fragment = urlsplit(href).fragment
        if target:
            a["href"] = urlunsplit(urlsplit(target)._replace(fragment=fragment)) if fragment else target
            walk.issue.links_rewritten += 1
        return None
