"""Whether an SVG is safe to publish from the site's own origin.

An SVG opened on its own is a document: a script in it runs with the site's origin. So an SVG is
kept only when it is a picture and nothing else. It is parsed by lxml without resolving entities,
loading a DTD or touching the network, and refused when it holds:
- a DOCTYPE (an internal subset can declare entities that a browser expands into markup the
  parsed tree never shows, such as a <script>), an entity of any kind, or a processing
  instruction (`xml-stylesheet` loads a style sheet);
- scripting, embedding or animation elements (animation can rewrite an href into a script URL
  after any static check), or any element of the XHTML namespace;
- an event handler attribute;
- a reference to anything outside itself: an href other than `#fragment`, a CSS `@import`, or a
  CSS `url()` (in a <style> element, a style attribute or a presentation attribute such as
  `fill`) to anything but a fragment. CSS escapes are decoded before the check, so `u\\72l(`
  is still `url(`.
"""
from __future__ import annotations

import re

from lxml import etree

XHTML = "http://www.w3.org/1999/xhtml"
XINCLUDE = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")

# Elements that run code, embed other documents, or (the animation ones) can rewrite an
# attribute such as href into a script URL after any static check.
FORBIDDEN_ELEMENTS = frozenset({"script", "foreignobject", "iframe", "embed", "object", "set", "animate",
                                "animatemotion", "animatetransform", "animatecolor", "handler", "listener",
                                "include", "discard"})

_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\r\n\f]?|\\(.)", re.DOTALL)
_CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.DOTALL)
# A CSS function that loads what it names: url(), and the ones that take a URL string.
_CSS_LOADS = re.compile(r"(?:url|src|image|image-set|-webkit-image-set|cross-fade|element)\(\s*(['\"]?)\s*([^'\")\s]*)",
                        re.IGNORECASE)


def _parser() -> etree.XMLParser:
    # A new parser each time: lxml parsers are not safe to share between threads.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_pis=False, remove_comments=False, recover=False)


def _css_text(css: str) -> str:
    """CSS as the browser reads its words: comments out, escapes decoded."""

    def unescape(match: re.Match) -> str:
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
        return match.group(2)

    return _CSS_ESCAPE.sub(unescape, _CSS_COMMENT.sub(" ", css))


def css_problem(css: str) -> str | None:
    """Why a piece of CSS in an SVG reaches outside the SVG, or None."""
    text = _css_text(css)
    if "@import" in text.lower():
        return "its CSS imports a style sheet (@import)"
    for match in _CSS_LOADS.finditer(text):
        target = match.group(2)
        if not target.startswith("#"):
            return f"its CSS loads something outside it ({match.group(0)[:40]!r})"
    return None


def svg_problem(data: bytes) -> str | None:
    """Why an SVG is unsafe to publish from the site's own origin, or None when it is a picture."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        return f"the SVG is not well-formed XML ({exc.msg or exc})"
    except (ValueError, etree.LxmlError) as exc:
        return f"the SVG could not be read ({exc})"
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None or tree.docinfo.externalDTD is not None:
        return "the SVG has a DOCTYPE (which can declare entities that expand into markup)"
    sibling = root.getprevious()
    while sibling is not None:
        if isinstance(sibling, etree._ProcessingInstruction):
            return f"the SVG has a processing instruction (<?{sibling.target}?>)"
        sibling = sibling.getprevious()
    for node in root.iter():
        if isinstance(node, etree._Entity):
            return f"the SVG uses an entity (&{node.name};)"
        if isinstance(node, etree._ProcessingInstruction):
            return f"the SVG has a processing instruction (<?{node.target}?>)"
        if not isinstance(node.tag, str):
            continue  # a comment
        name = etree.QName(node)
        local = name.localname.lower()
        if name.namespace == XHTML or name.namespace in XINCLUDE:
            return f"the SVG contains an element of another document type (<{local}>)"
        if local in FORBIDDEN_ELEMENTS:
            return f"the SVG contains a <{local}> element"
        if local == "style":
            problem = css_problem("".join(node.itertext()))
            if problem:
                return f"the SVG's <style>: {problem}"
        for attr, value in node.attrib.items():
            attr_name = etree.QName(attr).localname.lower()
            if attr_name.startswith("on"):
                return f"the SVG has an event handler ({attr_name})"
            if attr_name == "href" and not value.strip().startswith("#"):
                return f"the SVG links outside itself ({value.strip()[:40]!r})"
            if "(" in value or "@" in value or "\\" in value:
                problem = css_problem(value)
                if problem:
                    return f"the SVG's {attr_name} attribute: {problem}"
    return None
