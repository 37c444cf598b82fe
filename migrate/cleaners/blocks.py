"""The platform's own block classes become the HTML they stand for (revue-p -> p, ...)."""
from __future__ import annotations

import soupsieve
from bs4 import BeautifulSoup

from ..record import Issue
from .base import Cleaner, register


@register
class PlatformBlocks(Cleaner):
    name = "platform_blocks"

    def __init__(self, context, **options):
        super().__init__(context, **options)
        platform = context.platform
        # One walk finds every candidate; each is then matched against the rules in order.
        self.candidates = soupsieve.compile(", ".join(r.select for r in platform.blocks)) if platform.blocks else None
        self.rules = [(soupsieve.compile(r.select), r) for r in platform.blocks]
        self.domain_lines = soupsieve.compile(", ".join(platform.link_domain_lines)) if platform.link_domain_lines else None

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        for el in self.candidates.select(doc) if self.candidates else []:
            rule = next((rule for pattern, rule in self.rules if pattern.match(el)), None)
            if rule is None:  # an earlier change moved it out of every rule's reach
                continue
            el.name = rule.tag
            el.attrs = {}
            if rule.wrap and el.get_text(strip=True):
                wrapper = doc.new_tag(rule.wrap)
                for child in list(el.contents):
                    wrapper.append(child.extract())
                el.append(wrapper)
        # A link card's source line ("example.com • share") points at a dead redirector:
        # keep the domain's text, drop the links.
        if self.domain_lines is not None:
            for el in self.domain_lines.select(doc):
                first = el.find("a")
                domain = first.get_text(" ", strip=True) if first else ""
                line = doc.new_tag("p")
                if domain:
                    line.string = domain
                el.replace_with(line)
