"""One sentence per line, the reference site's style, decided on the parse tree.

A sentence ends at `.`, `!` or `?` followed by whitespace and a next sentence that does not start
in lower case ("e.g. the" stays on one line). The whitespace there becomes a SentenceBreak node,
which the converter writes as a newline. Paragraphs and quotes are split; list items, headings,
captions and code are not, since a line break there would change the Markdown's structure.
"""
from __future__ import annotations

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from ..dom import HEADINGS, elements

SPLIT_IN = {"p", "blockquote"}
NEVER_IN = HEADINGS | {"li", "pre", "code", "figcaption", "table", "nm-shortcode", "nm-footnote-ref"}
ENDINGS = ".!?"
INLINE_EDGE_HOPS = {"a", "strong", "b", "em", "i", "s", "del", "code", "sub", "sup", "mark", "q"}


class SentenceBreak(NavigableString):
    """Whitespace between two sentences, written as a line break."""

    line_break = True


def _owner(text: NavigableString) -> Tag | None:
    """The nearest paragraph or quote that owns this text, or None when it must not be split."""
    for parent in text.parents:
        if parent.name in NEVER_IN:
            return None
        if parent.name in SPLIT_IN:
            return parent
    return None


def break_sentences(doc: BeautifulSoup) -> None:
    for block in elements(doc, SPLIT_IN):
        texts = [t for t in block.descendants
                 if isinstance(t, NavigableString) and not isinstance(t, (SentenceBreak, Comment)) and _owner(t) is block]
        _split_block(texts)


def _is_enumerator(sentence: str) -> bool:
    """"1." or "b)" opening a list-like sentence is not a sentence of its own."""
    word = sentence.strip()
    return len(word) <= 4 and word[:-1].isalnum() and (word[:-1].isdigit() or len(word) == 2)


def _split_block(texts: list[NavigableString]) -> None:
    previous = ""  # the last non-space character seen in the block so far
    sentence: list[str] = []  # the current sentence's characters, for the enumerator rule
    for index, text in enumerate(texts):
        value = str(text)
        cuts: list[tuple[int, int]] = []
        i = 0
        while i < len(value):
            if not value[i].isspace():
                previous = value[i]
                sentence.append(previous)
                i += 1
                continue
            j = i
            while j < len(value) and value[j].isspace():
                j += 1
            following = value[j] if j < len(value) else _first_char(texts[index + 1:])
            if (previous in ENDINGS and following and not following.islower() and not following.isspace()
                    and not _is_enumerator("".join(sentence))):
                cuts.append((i, j))
                sentence = []
            else:
                sentence.append(" ")
            i = j
        if cuts:
            _apply_cuts(text, value, cuts)


def _first_char(texts: list[NavigableString]) -> str:
    for text in texts:
        stripped = str(text).lstrip()
        if stripped:
            return stripped[0]
    return ""


def _apply_cuts(text: NavigableString, value: str, cuts: list[tuple[int, int]]) -> None:
    pieces: list[NavigableString] = []
    last = 0
    for start, end in cuts:
        if start > last:
            pieces.append(NavigableString(value[last:start]))
        pieces.append(SentenceBreak("\n"))
        last = end
    if last < len(value):
        pieces.append(NavigableString(value[last:]))
    for piece in pieces:
        text.insert_before(piece)
    text.extract()
    for piece in pieces:
        if isinstance(piece, SentenceBreak):
            _hoist(piece)


def _hoist(node: SentenceBreak) -> None:
    """Move a break that sits at the very edge of an inline element outside it, so the element's
    Markdown (`**...**`) never starts or ends with a line break."""
    while isinstance(node.parent, Tag) and node.parent.name in INLINE_EDGE_HOPS:
        parent = node.parent
        siblings = [s for s in parent.contents if not (isinstance(s, NavigableString) and not str(s).strip() and s is not node)]
        if siblings and siblings[-1] is node:
            parent.insert_after(node.extract())
        elif siblings and siblings[0] is node:
            parent.insert_before(node.extract())
        else:
            break
