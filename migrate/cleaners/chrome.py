"""Platform chrome goes: what the platform put around the issue rather than what the author wrote.

Selectors come from the platform's mapping (profile bars, subscribe forms, header images and
avatars, share and feedback links, "Powered by" footers, preheaders); tracking pixels are found
by size (1x1) and by their open-tracking addresses.
"""
from __future__ import annotations

from bs4 import BeautifulSoup, Tag

from ..dom import attr_text, has_content, style_of
from ..record import Issue
from ..urls import host_matches, host_of
from .base import Cleaner, register


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

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        platform = self.context.platform
        # Closest-ancestor rules first: their anchors may be removed by the plain rules below.
        for rule in platform.chrome_remove_closest:
            for anchor in doc.select(rule.of):
                if anchor.decomposed:
                    continue
                target = _closest(anchor, rule.closest)
                (target or anchor).decompose()
        for sel in platform.chrome_remove:
            for el in doc.select(sel):
                if not el.decomposed and el.name not in ("html", "body"):
                    el.decompose()
        for img in doc.find_all("img"):
            if is_pixel(img, platform.pixels):
                img.decompose()
        # Links through a redirector that died with the platform lead nowhere: keep their text.
        for a in doc.find_all("a", href=True):
            if host_matches(host_of(attr_text(a, "href")), platform.dead_redirectors):
                a.unwrap()
        # Links whose only content was chrome are empty now.
        for a in doc.find_all("a"):
            if not has_content(a):
                a.decompose()


def _closest(el: Tag, selector: str) -> Tag | None:
    parent = el.parent
    found = parent.css.closest(selector) if isinstance(parent, Tag) else None
    return None if found is None or found.name in ("html", "body") else found
