"""Unsafe markup never reaches the output: active content, event handlers, script URLs.

Removing an element never removes what followed it in the source. lxml (like HTML4) nests
everything after an unclosed `<embed>` or `<object>` inside it; so before an active element goes,
what cannot be its own content is moved out after it: every child of an element that has none
(`<embed>`, `<input>`), the fallback content of an `<object>` (which readers see where the object
is not shown), and the blocks a `<button>`, `<select>` or inline `<svg>` cannot hold. What goes
with the rest (a `<form>`'s or a `<script>`'s content) is named in a warning when it holds
paragraphs of text: an unclosed tag may have swallowed them.
"""
from __future__ import annotations

from bs4 import NavigableString, Tag

from ..dom import BLOCKS, attr_text, parse_html
from ..record import Issue
from .base import Cleaner, Walk, register

ACTIVE_ELEMENTS = ["script", "style", "noscript", "iframe", "frame", "frameset", "object", "embed",
                   "applet", "form", "input", "button", "select", "textarea", "meta", "link", "base",
                   "template", "svg", "math", "canvas", "portal", "title", "head"]
ACTIVE_SET = frozenset(ACTIVE_ELEMENTS)
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:", "file:", "livescript:")
URL_ATTRS = ("href", "src", "action", "formaction", "poster", "background", "xlink:href", "srcset", "lowsrc", "dynsrc")
URL_ATTR_SET = frozenset(URL_ATTRS)


_BELOW_SPACE = dict.fromkeys(range(0x21))  # the control characters and the space: deleted by translate


def scheme_of(value: str) -> str:
    # Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
    return value.strip().lower().translate(_BELOW_SPACE)


# Elements that hold nothing in HTML: their children in the tree followed them in the source.
VOID = frozenset({"embed", "input", "meta", "link", "base", "frame", "keygen", "param", "source", "track", "wbr", "area", "col"})
# Elements whose children are what a reader sees where the element itself is not shown.
FALLBACK = frozenset({"object", "applet", "canvas", "portal"})
# Elements that cannot hold blocks: a block inside one followed it in the source.
NO_BLOCKS = frozenset({"button", "select", "svg", "math"})
SHOWN_BLOCKS = (BLOCKS | {"div", "table", "section", "article", "header", "footer", "aside", "main", "center"}) - {"nm-shortcode", "nm-footnote"}
SWALLOWED_CHARS = 200  # more text than a form's labels or a script's stray words


def _move_out(el: Tag, children: list) -> None:
    """Put `children` of `el` right after it, in order."""
    anchor = el
    for child in children:
        anchor.insert_after(child.extract())
        anchor = child


def _what_cannot_be_its_own(el: Tag) -> list:
    if el.name in VOID:
        return list(el.contents)
    if el.name in FALLBACK:
        return [child for child in el.contents if not (isinstance(child, Tag) and child.name in ("param", "source", "track"))]
    if el.name in NO_BLOCKS:
        # From the first block on, everything after it in the source (as a browser's parser
        # ends the element there): the block and its following siblings, then theirs above it.
        first = next((node for node in el.descendants if isinstance(node, Tag) and node.name in SHOWN_BLOCKS), None)
        if first is None:
            return []
        after = [first, *first.next_siblings]
        parent = first.parent
        while parent is not el:
            after += list(parent.next_siblings)
            parent = parent.parent
        return after
    return []


def _swallowed_text(el: Tag) -> str:
    """The text of what goes with `el` that reads as the issue's own (paragraphs, headings,
    lists), or "" when it holds only what such an element holds (labels, code, a few words)."""
    raw = "".join(str(child) for child in el.contents if isinstance(child, NavigableString))
    inner = parse_html(raw) if "<" in raw else el  # a script's or an iframe's content is text: read it as HTML
    blocks = sum(1 for node in inner.descendants if isinstance(node, Tag) and node.name in SHOWN_BLOCKS
                 and node.get_text(strip=True))
    if not blocks:
        return ""
    text = " ".join(inner.get_text(" ").split())
    return text if blocks and (inner is not el or blocks > 1 or len(text) > SWALLOWED_CHARS) else ""


def remove_active(el: Tag, issue: Issue, why: str = "an unsafe") -> list:
    """Remove an active element (see ACTIVE_ELEMENTS) and its own content only: what cannot be
    its own goes after it first, and paragraphs that go with it are named in a warning. Returns
    what was moved out (for the walk, which has yet to hand it to the cleaners)."""
    moved = _what_cannot_be_its_own(el)
    _move_out(el, moved)
    swallowed = _swallowed_text(el)
    if swallowed:
        issue.warnings.append(f"{why} <{el.name}> was removed with {len(swallowed):,} characters of text inside it "
                              f"(\"{swallowed[:60]}…\"): an unclosed <{el.name}> in the source may have held what "
                              "followed it; check the issue against its source")
    el.decompose()
    return moved


@register
class Unsafe(Cleaner):
    name = "unsafe"
    tags = frozenset({"*"})

    def visit(self, el: Tag, walk: Walk):
        if el.name in ACTIVE_SET:
            return remove_active(el, walk.issue) or None
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
