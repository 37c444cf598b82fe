"""Platform chrome goes: what the platform put around the issue rather than what the author wrote.

Selectors come from the platform's mapping (profile bars, subscribe forms, header images and
avatars, share and feedback links, "Powered by" footers, preheaders); tracking pixels are found
by size (1x1) and by their open-tracking addresses.
"""
from __future__ import annotations

import functools

from bs4 import Tag

from ..dom import attr_text, elements, has_content, style_of
from ..selectors import Matcher, SelectorRules
from ..urls import host_matches, host_of
from .base import Cleaner, Walk, register
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
    leave_tags = frozenset({"a"})

    def __init__(self, context, **options):
        super().__init__(context, **options)
        platform = context.platform
        self.remove = SelectorRules((select, True) for select in platform.chrome_remove)
        self.anchors = SelectorRules((rule.of, rule.closest) for rule in platform.chrome_remove_closest)
        self.pixels = platform.pixels
        self.dead_redirectors = platform.dead_redirectors
        # Handed images (pixels), links (dead redirectors, and links left empty), and whatever
        # a rule could select.
        self.hand_over(self.remove, self.anchors, tags=frozenset({"img", "a"}))

    def visit(self, el: Tag, walk: Walk):
        # Closest-ancestor rules come before the plain rules: an anchor inside an element a plain
        # rule removes still takes its own closest ancestor with it.
        closest = self.anchors.first(el) if self.anchors else None
        if closest is not None:
            target = _closest(el, closest)
            (target or el).decompose()
            return None
        if self.remove and el.name not in ("html", "body") and self.remove.matches(el):
            return self._remove(el, walk) or None
        if el.name == "img":
            if is_pixel(el, self.pixels):
                el.decompose()
        elif el.name == "a":
            # Links through a redirector that died with the platform lead nowhere: keep their text.
            if el.has_attr("href") and host_matches(host_of(attr_text(el, "href")), self.dead_redirectors):
                el.unwrap()
        return None

    def leave(self, el: Tag, walk: Walk) -> None:
        # Links whose only content was chrome are empty now.
        if not has_content(el):
            el.decompose()

    def _remove(self, el: Tag, walk: Walk) -> list | None:
        """Remove a chrome element, after the closest-ancestor rules of the anchors inside it
        (whose targets may lie above it). A form or a script may be unclosed and hold the rest
        of the issue: what cannot be its own is moved out first, and returned to be walked."""
        if self.anchors:
            named = not (self.anchors.any or self.anchors.classes or self.anchors.ids)
            for anchor in elements(el, self.anchors.tags if named else None):
                closest = self.anchors.first(anchor)
                target = _closest(anchor, closest) if closest is not None else None
                if target is not None and any(parent is target for parent in el.parents):
                    target.decompose()
                    return None
        if el.name in ACTIVE_SET:
            return remove_active(el, walk.issue, "the platform's")
        el.decompose()
        return None


def _closest(el: Tag, selector: str) -> Tag | None:
    parent = el.parent
    found = _matcher(selector).closest(parent) if isinstance(parent, Tag) else None
    return None if found is None or found.name in ("html", "body") else found


@functools.lru_cache(maxsize=64)
def _matcher(selector: str) -> Matcher:
    return Matcher(selector)
