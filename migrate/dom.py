"""Facts about HTML elements that cleaners and the converter share."""
from __future__ import annotations

import re

from bs4 import Comment, NavigableString, Tag

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Elements that make their own block in the Markdown.
BLOCKS = HEADINGS | {"p", "ul", "ol", "li", "blockquote", "pre", "hr", "figure", "figcaption",
                     "dl", "dt", "dd", "nm-shortcode", "nm-footnote"}
# Layout elements: never carried into the Markdown, their content is kept.
LAYOUT_BLOCKS = {"table", "tbody", "thead", "tfoot", "tr", "td", "th", "div", "center", "section",
                 "article", "header", "main", "aside", "caption", "colgroup", "col", "body"}
LAYOUT_INLINE = {"span", "font", "small", "big", "o:p", "u", "label", "abbr", "cite", "time"}
# Elements that hold visible content of their own even when they hold no text.
SELF_CONTENT = {"img", "br", "hr", "nm-shortcode"}
# Where text is what the author showed, not markup to act on: tags, fields and shortcodes stay.
CODE = frozenset({"code", "pre", "kbd", "samp"})
# A code block's language, as a class of its <code> or <pre> names it: `language-css` (Markdown
# renderers, Python-Markdown's fenced_code), `lang-css` (highlight.js). Only a plain word: it is
# written after the fence, where anything else would be read as more of the info string.
LANGUAGE_CLASS = re.compile(r"^(?:language|lang)-([A-Za-z0-9_+#.-]{1,32})$")


def in_code(node) -> bool:
    return any(parent.name in CODE for parent in node.parents)


def is_block(node) -> bool:
    return isinstance(node, Tag) and (node.name in BLOCKS or node.name in LAYOUT_BLOCKS)


def has_content(node) -> bool:
    """Whether a node shows anything: text that is not whitespace, an image, a rule, an embed."""
    if isinstance(node, Comment):
        return False
    if isinstance(node, NavigableString):
        return bool(node.strip())
    if not isinstance(node, Tag):
        return False
    if node.name in SELF_CONTENT:
        return node.name != "br"
    for inner in node.descendants:
        if isinstance(inner, Tag):
            if inner.name in ("img", "hr", "nm-shortcode"):
                return True
        elif not isinstance(inner, Comment) and inner.strip():
            return True
    return False



def style_of(el: Tag) -> str:
    style = el.get("style") or ""
    return "".join(str(style).lower().split())


def attr_text(el: Tag, name: str) -> str:
    value = el.get(name)
    if isinstance(value, list):
        value = " ".join(value)
    return (value or "").strip()


def gone(el) -> bool:
    """Whether an element was decomposed. (bs4's own `decomposed` property looks the flag up
    through Tag.__getattr__, which searches the whole subtree for a tag of that name first.)"""
    return bool(el.__dict__.get("_decomposed"))


def elements(root, names=None) -> list[Tag]:
    """The elements under `root` in document order, optionally only those named in `names`.

    A plain walk over `descendants`: several times faster than `find_all`, whose filter
    machinery costs more than the walk itself on a 40 KB issue.
    """
    if names is None:
        return [node for node in root.descendants if isinstance(node, Tag)]
    return [node for node in root.descendants if isinstance(node, Tag) and node.name in names]
