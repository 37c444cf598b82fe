"""Facts about HTML elements that cleaners and the converter share."""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, CData, Comment, NavigableString, Tag

from . import soup

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



def shows_text(el: Tag) -> bool:
    """Whether an element holds text that is not whitespace (what `el.get_text(strip=True)` being
    non-empty says, without joining the text)."""
    for node in el.descendants:
        if type(node) is NavigableString or isinstance(node, CData):
            if node.strip():
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


def made_here(el: Tag) -> Tag:
    """Mark an element a cleaner made, so cleaners can tell it from one of the same name that came
    with the source (a forged `<nm-shortcode>`). The mark is a Python attribute of the element,
    never an HTML attribute: no source can carry it."""
    el.__dict__["_nm_made_here"] = True
    return el


def is_made_here(el: Tag) -> bool:
    return bool(el.__dict__.get("_nm_made_here"))


def document_holding(content: Tag):
    """A document of its own holding `content` (moved out of the page it was parsed in), shaped as
    parsing `str(content)` again would shape it: `<html><body>content</body></html>`, or the
    content itself when it is the page's body. The page's tree is parsed once, never twice."""
    doc = soup.parse("<html><body></body></html>")
    if content.name == "body":
        doc.body.replace_with(content.extract())
    elif content.name == "html":
        doc.html.replace_with(content.extract())
    else:
        doc.body.append(content.extract())
    return doc


def unwrap(el: Tag) -> Tag:
    """Replace an element with its children, as bs4's `unwrap` does, in one splice.

    bs4 moves the children one at a time, each with a search of its parent's children and a walk
    to its last descendant; unwrapping every layout element of an email that way is most of the
    structure cleaner's time. Here the children move as one run: the document order is unchanged
    but for the element itself, so only the links at the run's two ends change."""
    parent = el.parent
    children = el.contents
    if parent is None or not children:
        return el.unwrap() if parent is not None else el
    index = parent.index(el)
    first, last = children[0], children[-1]
    before_element = el.previous_element
    if before_element is not None:
        before_element.next_element = first
    first.previous_element = before_element
    before, after = el.previous_sibling, el.next_sibling
    first.previous_sibling = before
    if before is not None:
        before.next_sibling = first
    last.next_sibling = after
    if after is not None:
        after.previous_sibling = last
    for child in children:
        child.parent = parent
    parent.contents[index:index + 1] = children
    el.contents = []
    el.parent = el.previous_element = el.next_element = el.previous_sibling = el.next_sibling = None
    return el


_RAW_TEXT_PARENTS = frozenset({"script", "style"})


def _escaped(text: str) -> str:
    """`&`, `<` and `>` as entities. Three `replace`s, each a scan in C that returns the string
    itself when it holds none: `str.translate` with a table looked every character up in a dict."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def html_of(node) -> str:
    """`str(node)`, character for character, in a fraction of bs4's time.

    bs4 renders through a general formatter (events, per-string formatter lookups, a regular
    expression per string); its "minimal" rules are few: `&`, `<` and `>` escaped in text (not
    inside script and style) and in attribute values, attributes sorted, a value with a double
    quote put in single quotes (in double quotes with `&quot;` if it holds both), void elements
    written `<br/>`, comments and the like written as they are. A test holds this to `str()`.
    Most strings and values hold nothing to escape: they are checked for it before any copy."""
    from bs4.element import AttributeValueWithCharsetSubstitution, PreformattedString

    out: list[str] = []
    append = out.append
    stack = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str:
            append(item)  # a closing tag, queued below
            continue
        if kind is NavigableString:
            if ("&" in item or "<" in item or ">" in item) and (item.parent is None or item.parent.name not in _RAW_TEXT_PARENTS):
                append(_escaped(item))
            else:
                append(item)
            continue
        if kind is not Tag and isinstance(item, NavigableString):
            if isinstance(item, PreformattedString):
                append(item.PREFIX + item + item.SUFFIX)
                continue
            parent = item.parent
            text = item if parent is not None and parent.name in _RAW_TEXT_PARENTS else _escaped(item)
            append(item.PREFIX + text + item.SUFFIX)
            continue
        if item.hidden:
            extend(reversed(item.contents))
            continue
        name = item.prefix + ":" + item.name if item.prefix else item.name
        attrs = item.attrs
        if attrs:
            pieces = ["<", name]
            for key, value in (sorted(attrs.items()) if len(attrs) > 1 else attrs.items()):
                if value is None:
                    pieces.append(" " + key)
                    continue
                if type(value) is not str:
                    if isinstance(value, (list, tuple)):
                        value = " ".join(value)
                    elif not isinstance(value, str):
                        value = str(value)
                    elif isinstance(value, AttributeValueWithCharsetSubstitution):
                        value = value.substitute_encoding("utf-8")
                if "&" in value or "<" in value or ">" in value:
                    value = _escaped(value)
                if '"' not in value:
                    pieces.append(" " + key + '="' + value + '"')
                elif "'" in value:
                    pieces.append(" " + key + '="' + value.replace('"', "&quot;") + '"')
                else:
                    pieces.append(" " + key + "='" + value + "'")
            contents = item.contents
            if not contents and item.can_be_empty_element:
                pieces.append("/>")
                append("".join(pieces))
                continue
            pieces.append(">")
            append("".join(pieces))
        else:
            contents = item.contents
            if not contents and item.can_be_empty_element:
                append("<" + name + "/>")
                continue
            append("<" + name + ">")
        push("</" + name + ">")
        if contents:
            extend(reversed(contents))
    return "".join(out)


def markup_in(text: str) -> list[str]:
    """The HTML elements a text holds when read as HTML (none for `a < b`), in order, once each."""
    if "<" not in text:
        return []
    # Python's own tokenizer: unlike lxml, it adds no <html><body><p> around bare text.
    return list(dict.fromkeys(el.name for el in BeautifulSoup(text, "html.parser").find_all(True)))


# ---------------------------------------------------------------------- parsing, depth bounded

MAX_DEPTH = 64     # what the converter is handed, once the layout is gone: it recurses once per level
PARSE_DEPTH = 256  # what the cleaners are handed: email templates nest their tables 80 deep and more
_LEAVES = frozenset({"img", "br", "hr"})  # content of their own that nests nothing


def parse_html(markup) -> BeautifulSoup:
    """Parse HTML from outside (lxml), with nesting deeper than PARSE_DEPTH flattened.

    Parsing is linear at any depth, but much of what follows is not: a CSS selector looks up
    the ancestors of each element, and moving a node in bs4 walks its subtree. A hostile page
    of 200,000 unclosed tags cost minutes of CPU. What lies deeper than PARSE_DEPTH is kept as
    its text (and its images and line breaks), in order, without the elements that held it;
    `flattened(doc)` tells how many elements went."""
    doc = soup.parse(markup)  # BeautifulSoup(markup, "lxml")'s tree, built faster
    deepest = soup.depth(doc)
    doc.__dict__["nm_flattened"] = flatten_deep_nesting(doc, PARSE_DEPTH) if deepest is None or deepest > PARSE_DEPTH else 0
    return doc


def flattened(doc) -> int:
    """How many elements parse_html took out of a document for nesting too deep."""
    return doc.__dict__.get("nm_flattened", 0)


def flattened_warning(count: int, depth: int = PARSE_DEPTH) -> str:
    return (f"its HTML nested {count} element(s) deeper than {depth} levels; they were unwrapped, "
            "their text kept")


def flatten_deep_nesting(doc, max_depth: int = MAX_DEPTH) -> int:
    """Unwrap every element deeper than `max_depth`, keeping its text, images and line breaks in
    order; returns how many went. Linear in the size of the document: each subtree that starts
    too deep is rebuilt once, flat, instead of unwrapped an element at a time."""
    depth: dict[int, int] = {id(doc): 0}
    tops: list[Tag] = []  # elements at MAX_DEPTH that hold elements: their subtrees are too deep
    for node in doc.descendants:
        if not isinstance(node, Tag):
            continue
        level = depth.get(id(node.parent), 0) + 1
        depth[id(node)] = level
        if level == max_depth + 1:
            parent = node.parent
            if not tops or tops[-1] is not parent:
                tops.append(parent)
    removed = 0
    for top in tops:
        kept: list = []
        for node in top.descendants:
            if isinstance(node, Tag):
                if node.name in _LEAVES and not node.contents:
                    kept.append(node)
                else:
                    removed += 1
            elif type(node) is NavigableString:  # text, not a comment or a declaration
                kept.append(NavigableString(str(node)))
        top.clear()
        for item in kept:
            top.append(item.extract() if isinstance(item, Tag) else item)
    return removed
