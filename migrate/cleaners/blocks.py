"""The platform's own block classes become the HTML they stand for (revue-p -> p, ...)."""
from __future__ import annotations

from bs4 import Tag

from ..selectors import SelectorRules
from .base import Cleaner, Walk, register


@register
class PlatformBlocks(Cleaner):
    name = "platform_blocks"

    def __init__(self, context, **options):
        super().__init__(context, **options)
        platform = context.platform
        self.rules = SelectorRules((r.select, r) for r in platform.blocks)
        self.domain_lines = SelectorRules((select, True) for select in platform.link_domain_lines)
        self.hand_over(self.rules, self.domain_lines)

    def visit(self, el: Tag, walk: Walk):
        rule = self.rules.first(el) if self.rules else None
        if rule is not None:
            el.name = rule.tag
            el.attrs = {}
            if rule.wrap and el.get_text(strip=True):
                wrapper = walk.doc.new_tag(rule.wrap)
                for child in list(el.contents):
                    wrapper.append(child.extract())
                el.append(wrapper)
        # A link card's source line ("example.com • share") points at a dead redirector:
        # keep the domain's text, drop the links.
        if self.domain_lines and self.domain_lines.matches(el):
            first = el.find("a")
            domain = first.get_text(" ", strip=True) if first else ""
            line = walk.doc.new_tag("p")
            if domain:
                line.string = domain
            el.replace_with(line)
            return line
        return None
