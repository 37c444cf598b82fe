"""Unsafe markup never reaches the output: active content, event handlers, script URLs."""
from __future__ import annotations

from bs4 import Tag

from ..dom import attr_text
from .base import Cleaner, Walk, register

ACTIVE_ELEMENTS = ["script", "style", "noscript", "iframe", "frame", "frameset", "object", "embed",
                   "applet", "form", "input", "button", "select", "textarea", "meta", "link", "base",
                   "template", "svg", "math", "canvas", "portal", "title", "head"]
ACTIVE_SET = frozenset(ACTIVE_ELEMENTS)
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:", "file:", "livescript:")
URL_ATTRS = ("href", "src", "action", "formaction", "poster", "background", "xlink:href", "srcset", "lowsrc", "dynsrc")
URL_ATTR_SET = frozenset(URL_ATTRS)


def scheme_of(value: str) -> str:
    # Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
    return "".join(ch for ch in value.strip().lower() if ch > " ")


@register
class Unsafe(Cleaner):
    name = "unsafe"
    tags = frozenset({"*"})

    def visit(self, el: Tag, walk: Walk):
        if el.name in ACTIVE_SET:
            el.decompose()
            return None
        attrs = el.attrs
        if not attrs:
            return None
        for attr in [name for name in attrs if name[:2].lower() == "on"]:
            del el[attr]
        if URL_ATTR_SET.isdisjoint(attrs):
            return None
        for attr in URL_ATTRS:
            if attr not in attrs:
                continue
            value = scheme_of(attr_text(el, attr))
            if el.name == "img" and attr == "src" and value.startswith("data:image/") and not value.startswith("data:image/svg"):
                continue  # an inline picture: the images cleaner stores it as a file
            if value.startswith(SCRIPT_SCHEMES):
                if el.name == "a":
                    el.unwrap() if el.get_text(strip=True) or el.find("img") else el.decompose()
                    return None
                if el.name == "img":
                    el.decompose()
                    return None
                del el[attr]
        return None
