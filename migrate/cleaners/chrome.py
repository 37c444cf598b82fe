"""Platform chrome goes: what the platform put around the issue rather than what the author wrote.

Selectors come from the platform's mapping (profile bars, subscribe forms, header images and
avatars, share and feedback links, "Powered by" footers, preheaders); tracking pixels are found
by size (1x1) and by their open-tracking addresses.
"""
from __future__ import annotations

import soupsieve
from bs4 import BeautifulSoup, Tag

from ..dom import attr_text, elements, gone, has_content, style_of
from ..record import Issue
from ..urls import host_matches, host_of
from .base import Cleaner, register
from .unsafe import ACTIVE_SET, remove_active


def is_pixel(img: Tag, pixel_patterns: list[str]) -> bool:
    src = attr_text(img, "src").lower()
    if any(pattern in src for pattern in pixel_patterns):
        return True
    sizes = {attr_text(img, "width").lower().removesuffix("px"), attr_text(img, "height").lower().removesuffix("px")}
    if sizes <= {"0", "1"} and sizes != {""}:
        return True
    style = style_of(img)
    return ("width:1px" in style and "height:1px" in style) or "display:none" in style


@register
class Chrome(Cleaner):
    name = "chrome"

    def __init__(self, context, **options):
        super().__init__(context, **options)
        platform = context.platform
        # One selector list is one walk of the tree, however many rules the mapping has.
        self.remove = soupsieve.compile(", ".join(platform.chrome_remove)) if platform.chrome_remove else None
        self.anchors = soupsieve.compile(", ".join(r.of for r in platform.chrome_remove_closest)) if platform.chrome_remove_closest else None
        self.closest_rules = [(soupsieve.compile(r.of), r.closest) for r in platform.chrome_remove_closest]

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        platform = self.context.platform
        # Closest-ancestor rules first: their anchors may be removed by the plain rules below.
        if self.anchors is not None:
            for anchor in self.anchors.select(doc):
                if gone(anchor):
                    continue
                closest = next((closest for of, closest in self.closest_rules if of.match(anchor)), None)
                target = _closest(anchor, closest) if closest else None
                (target or anchor).decompose()
        if self.remove is not None:
            for el in self.remove.select(doc):
                if not gone(el) and el.name not in ("html", "body"):
                    # A form or a script may be unclosed and hold the rest of the issue.
                    remove_active(el, issue, "the platform's") if el.name in ACTIVE_SET else el.decompose()
        for img in elements(doc, {"img"}):
            if is_pixel(img, platform.pixels):
                img.decompose()
        # Links through a redirector that died with the platform lead nowhere: keep their text.
        for a in elements(doc, {"a"}):
            if a.has_attr("href") and host_matches(host_of(attr_text(a, "href")), platform.dead_redirectors):
                a.unwrap()
        # Links whose only content was chrome are empty now.
        for a in elements(doc, {"a"}):
            if not gone(a) and not has_content(a):
                a.decompose()


def _closest(el: Tag, selector: str) -> Tag | None:
    parent = el.parent
    found = parent.css.closest(selector) if isinstance(parent, Tag) else None
    return None if found is None or found.name in ("html", "body") else found
