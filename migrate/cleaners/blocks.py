"""The platform's own block classes become the HTML they stand for (revue-p -> p, ...)."""
from __future__ import annotations

from bs4 import BeautifulSoup

from ..record import Issue
from .base import Cleaner, register


@register
class PlatformBlocks(Cleaner):
    name = "platform_blocks"

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        platform = self.context.platform
        for rule in platform.blocks:
            for el in doc.select(rule.select):
                el.name = rule.tag
                el.attrs = {}
                if rule.wrap and el.get_text(strip=True):
                    wrapper = doc.new_tag(rule.wrap)
                    for child in list(el.contents):
                        wrapper.append(child.extract())
                    el.append(wrapper)
        # A link card's source line ("example.com • share") points at a dead redirector:
        # keep the domain's text, drop the links.
        for sel in platform.link_domain_lines:
            for el in doc.select(sel):
                first = el.find("a")
                domain = first.get_text(" ", strip=True) if first else ""
                line = doc.new_tag("p")
                if domain:
                    line.string = domain
                el.replace_with(line)
