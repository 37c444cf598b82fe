"""Layout goes, structure stays: the email's tables, divs and spans are unwrapped into paragraphs,
broken nesting (`<h3><h2>`, `<p><p>`) is repaired, captioned images become figures, and only the
attributes the Markdown needs survive. All of it through the parse tree.
"""
from __future__ import annotations

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from ..dom import (BLOCKS, HEADINGS, LANGUAGE_CLASS, LAYOUT_BLOCKS, LAYOUT_INLINE, MAX_DEPTH, attr_text, elements,
                   flatten_deep_nesting, flattened_warning, has_content, is_block, style_of, unwrap)
from ..mappings import Problems, _check_keys, register_section
from ..record import Issue
from ..urls import absolute
from .base import Cleaner, register

INLINE_FORMATTING = {"a", "strong", "b", "em", "i", "code", "s", "del", "strike", "sub", "sup", "q", "mark", "ins"}
KEEP_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "nm-shortcode": None,  # keeps its data-* attributes
    "nm-footnote": None,
}
MARK = "data-nm-block"
SMALL_IMAGE = 100  # pixels; narrower images are inline icons, not pictures of their own


def _marked(node) -> bool:
    return isinstance(node, Tag) and node.has_attr(MARK)


def _wrap_runs(doc: BeautifulSoup, parent: Tag) -> None:
    """Put each run of inline content between blocks into a paragraph of its own."""
    run: list = []

    def flush() -> None:
        if any(has_content(node) for node in run):
            paragraph = doc.new_tag("p")
            run[0].insert_before(paragraph)
            for node in run:
                paragraph.append(node.extract())
        run.clear()

    # Called on every layout element, most of which hold blocks only: what `is_block` and
    # `_marked` tell is read here in line, and a run is flushed only when there is one.
    for child in list(parent.contents):
        if not isinstance(child, Tag):
            run.append(child)
        elif child.name in BLOCKS or child.name in LAYOUT_BLOCKS:
            if run:
                flush()
        elif MARK in child.attrs:
            if run:
                flush()
            child.wrap(doc.new_tag("p"))
        else:
            run.append(child)
    if run:
        flush()


def _inside_inline(el: Tag) -> bool:
    parent = el.parent
    while parent is not None:
        if parent.name in INLINE_FORMATTING:
            return True
        parent = parent.parent
    return False


def _image_width(img: Tag) -> int | None:
    value = attr_text(img, "width").lower().removesuffix("px")
    return int(value) if value.isdigit() else None


def _is_picture(node) -> bool:
    """An image (or a linked image) big enough to stand on its own."""
    img = node if isinstance(node, Tag) and node.name == "img" else (
        node.find("img") if isinstance(node, Tag) and node.name == "a" and not node.get_text(strip=True) else None)
    if img is None:
        return False
    width = _image_width(img)
    return width is None or width >= SMALL_IMAGE


def _split_paragraph(doc: BeautifulSoup, paragraph: Tag) -> None:
    """Split a paragraph at marked blocks, at blank lines made of <br><br>, and after a leading picture."""
    segments: list[list] = [[]]
    children = list(paragraph.children)
    i = 0
    while i < len(children):
        child = children[i]
        current = segments[-1]
        if _marked(child) or (_is_picture(child) and not any(has_content(n) for n in current)
                              and any(has_content(n) for n in children[i + 1:])):
            segments.append([child])
            segments.append([])
        elif isinstance(child, Tag) and child.name == "br":
            j = i + 1
            while j < len(children) and isinstance(children[j], NavigableString) and not children[j].strip():
                j += 1
            if j < len(children) and isinstance(children[j], Tag) and children[j].name == "br":
                while j < len(children) and (isinstance(children[j], Tag) and children[j].name == "br"
                                             or isinstance(children[j], NavigableString) and not children[j].strip()):
                    j += 1
                segments.append([])
                i = j
                continue
            current.append(child)
        else:
            current.append(child)
        i += 1
    segments = [s for s in segments if any(has_content(n) for n in s)]
    if len(segments) <= 1:
        return
    for segment in segments:
        new = doc.new_tag("p")
        paragraph.insert_before(new)
        for node in segment:
            new.append(node.extract())
    paragraph.decompose()


def _flatten_deep_nesting(doc: BeautifulSoup, issue: Issue) -> None:
    """The body the converter gets, its layout unwrapped, stays within the depth the converter's
    recursion can take (the parse bounded the source already: see dom.parse_html)."""
    removed = flatten_deep_nesting(doc, MAX_DEPTH)
    if removed:
        issue.warnings.append(flattened_warning(removed, MAX_DEPTH))


def _content_sibling(node, forward: bool):
    sibling = node.next_sibling if forward else node.previous_sibling
    while isinstance(sibling, NavigableString) and not sibling.strip():
        sibling = sibling.next_sibling if forward else sibling.previous_sibling
    return sibling


def _shows_something(el: Tag) -> bool:
    """Whether an element whose children were already judged (and emptied out) shows anything."""
    for child in el.contents:
        if isinstance(child, Tag):
            if child.name != "br":
                return True
        elif not isinstance(child, Comment) and child.strip():
            return True
    return False


def _drop_idle_breaks(doc: BeautifulSoup) -> None:
    """A line break shows nothing at the start or end of a block, next to another block, or
    between blocks; drop those, keep the ones inside running text."""
    for br in elements(doc, {"br"}):
        parent = br.parent
        before, after = _content_sibling(br, False), _content_sibling(br, True)
        if (parent is None or parent.name in ("body", "html", "[document]", "ul", "ol")
                or before is None or after is None or is_block(before) or is_block(after)
                or (isinstance(after, Tag) and after.name == "br")):
            br.decompose()


def _nest_stray_sublists(doc: BeautifulSoup) -> None:
    """A list written straight inside a list (Revue's editor did: `<ul><li>a</li><ul>...</ul>`)
    shows as the sublist of the item before it; it becomes one, instead of being flattened."""
    for sublist in elements(doc, {"ul", "ol"}):
        parent = sublist.parent
        if not isinstance(parent, Tag) or parent.name not in ("ul", "ol"):
            continue
        item = sublist.find_previous_sibling(True)
        if item is None or item.name != "li":
            item = doc.new_tag("li")
            sublist.insert_before(item)
        item.append(sublist.extract())


def _to_figure(doc: BeautifulSoup, paragraph: Tag) -> None:
    """A paragraph holding only a titled image becomes a figure with that title as its caption."""
    contents = [n for n in paragraph.contents if has_content(n) or (isinstance(n, Tag) and n.name == "img")]
    if len(contents) != 1:
        return
    node = contents[0]
    img = node if isinstance(node, Tag) and node.name == "img" else (
        node.find("img") if isinstance(node, Tag) and node.name == "a" and not node.get_text(strip=True) else None)
    if img is None:
        return
    title = attr_text(img, "title")
    if not title:
        return
    figure = doc.new_tag("figure")
    figure.append(node.extract())
    caption = doc.new_tag("figcaption")
    caption.string = title
    figure.append(caption)
    if attr_text(img, "alt") in ("", title):
        del img["title"]
    paragraph.replace_with(figure)


@register_section("captions")
def load_captions(value, where: str, problems: Problems) -> dict:
    """`captions:` in a platform mapping: `image_titles: true` where the platform showed an
    image's title under it as its caption (Revue did; on Substack it is only a tooltip)."""
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping with `image_titles: true` or `false`")
        return {}
    _check_keys(value, {"image_titles"}, where, problems)
    shown = value.get("image_titles", False)
    if not isinstance(shown, bool):
        problems.add(f"{where} image_titles", "must be true or false")
        shown = False
    return {"image_titles": shown}


@register
class Structure(Cleaner):
    name = "structure"
    is_document = True  # about the whole document: the chain walks up to it, then on

    def __init__(self, context, **options):
        super().__init__(context, **options)
        self.titles_are_captions = bool((context.platform.section("captions") or {}).get("image_titles"))

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        for node in [n for n in doc.descendants if isinstance(n, (Comment, Declaration, Doctype, ProcessingInstruction))]:
            node.extract()
        _flatten_deep_nesting(doc, issue)

        # Inline elements the email styled as blocks stand on their own line.
        for el in elements(doc, INLINE_FORMATTING | {"span"}):
            if "display:block" in style_of(el) and not _inside_inline(el):
                el[MARK] = "1"

        # Broken nesting: a heading or paragraph holding blocks is a container, not a block.
        for el in elements(doc, HEADINGS | {"p"}):
            if any(is_block(child) for child in el.children):
                el.name = "div"
        _nest_stray_sublists(doc)

        # Layout, deepest first: inline wrappers vanish, block wrappers leave paragraphs behind.
        for el in reversed(elements(doc, LAYOUT_BLOCKS | LAYOUT_INLINE)):
            if el.name == "body":
                continue
            if el.name in LAYOUT_INLINE or _inside_inline(el):
                if el.name in LAYOUT_BLOCKS and el.previous_sibling is not None and has_content(el):
                    el.insert_before(doc.new_tag("br"))
                unwrap(el)
                continue
            _wrap_runs(doc, el)
            unwrap(el)
        # Blocks inside inline elements (a <p> inside a link) cannot be; keep their words.
        for el in reversed(elements(doc, BLOCKS - {"nm-shortcode"})):
            if _inside_inline(el):
                unwrap(el)
        body = doc.body if doc.body is not None else doc
        _wrap_runs(doc, body)
        for node in list(body.children):
            if isinstance(node, NavigableString) and not node.strip():
                node.extract()

        for paragraph in elements(doc, {"p"}):
            _split_paragraph(doc, paragraph)
        for marked in elements(doc):
            if MARK in marked.attrs:
                del marked[MARK]
        _drop_idle_breaks(doc)
        if self.titles_are_captions:
            for paragraph in elements(doc, {"p"}):
                _to_figure(doc, paragraph)

        # Elements left with nothing to show.
        # Deepest first, so a parent sees its children after they were judged.
        for el in reversed(elements(doc)):
            if el.name in ("html", "body", "img", "br", "hr", "nm-shortcode"):
                continue
            if not _shows_something(el):
                if el.name in INLINE_FORMATTING and el.get_text() and not el.get_text().strip():
                    el.replace_with(NavigableString(" "))  # `<strong> </strong>` still parts two words
                else:
                    el.decompose()

        base = issue.old_urls[0] if issue.old_urls else None
        for el in elements(doc):
            allowed = KEEP_ATTRS.get(el.name, set())
            if allowed is None:
                continue
            # The class that names a code block's language stays, for the fence; nothing else.
            languages = [name for name in el.get_attribute_list("class") if name and LANGUAGE_CLASS.match(name)] \
                if el.name in ("pre", "code") else []
            for attr in list(el.attrs):
                if attr not in allowed:
                    del el[attr]
            if languages:
                el["class"] = languages[:1]
            if el.name == "a" and el.get("href"):
                href = attr_text(el, "href")
                if href and not href.startswith(("#", "mailto:", "tel:")):
                    el["href"] = absolute(href, base) if base or href.startswith("//") else href
