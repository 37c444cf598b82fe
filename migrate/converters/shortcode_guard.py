"""Text Hugo must not take for a shortcode.

Hugo looks for `{{<` and `{{%` in the raw content file, inside code too, before it reads the
Markdown; an unknown shortcode, or a malformed one, stops the build of the whole site. So an
issue that merely talks about shortcodes, or holds template code, must never spell the openers.
"""
from __future__ import annotations

import re

from bs4 import Comment, Doctype, NavigableString

from ..dom import in_code

# Hugo reads these as the start of a shortcode anywhere in a content file, code included.
SHORTCODE_OPENER = re.compile(r"(?<=\{\{)[<%]")
_OPENER_ENTITIES = {"<": "&lt;", "%": "&#37;"}
ZERO_WIDTH_SPACE = "\u200b"


class Verbatim(NavigableString):
    """Markdown written exactly as it is: an entity chosen on the tree where escaping cannot see."""


def guard_shortcode_openers(doc) -> None:
    """Keep Hugo from reading `{{<` or `{{%` in an issue's text as a shortcode.

    An unknown shortcode stops the build of the whole site, and text can spell the opener across
    elements (`{<b>{&lt;</b>`), so this follows the running text rather than one node. In prose
    the `<` or `%` becomes an entity, which reads the same; in code, where an entity would show as
    typed, a zero-width space goes between the braces and it.
    """
    tail = ""
    for node in list(doc.descendants):
        # Every string the converter writes counts (ruby text and CDATA too); comments and
        # doctypes it drops, and a line break between sentences ends the running text.
        if not isinstance(node, NavigableString) or isinstance(node, (Comment, Doctype, Verbatim)):
            continue
        if getattr(node, "line_break", False):
            tail = ""
            continue
        text = str(node)
        offset, running = len(tail), tail + text
        tail = running[-2:]
        # The lookbehind needs two characters, so every match lies in this node's own text.
        positions = [match.start() - offset for match in SHORTCODE_OPENER.finditer(running)]
        if not positions:
            continue
        if in_code(node):
            spaced = "".join(ZERO_WIDTH_SPACE + ch if i in positions else ch for i, ch in enumerate(text))
            node.replace_with(NavigableString(spaced))
            continue
        pieces: list[NavigableString] = []
        start = 0
        for position in positions:
            if position > start:
                pieces.append(NavigableString(text[start:position]))
            pieces.append(Verbatim(_OPENER_ENTITIES[text[position]]))
            start = position + 1
        if start < len(text):
            pieces.append(NavigableString(text[start:]))
        node.replace_with(*pieces)


def no_shortcode_opener(text: str) -> str:
    """Text for a link title or image alt, where Markdown reads entities, without `{{<` or `{{%`."""
    return SHORTCODE_OPENER.sub(lambda match: _OPENER_ENTITIES[match.group(0)], text)
