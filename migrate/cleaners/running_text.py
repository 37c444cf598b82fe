"""A document's running text, and how a field a platform fills in per reader leaves it.

Platforms put per-reader fields in running text (Mailchimp's `*|FNAME|*`, Buttondown's
`{{ subscriber.email }}`). An archive reader is nobody in particular, so the field shows nothing,
and the sentence around it closes up as if it had never been there: "Hello *|FNAME|*, welcome."
reads "Hello, welcome.", "Thanks, {{ name }}!" reads "Thanks!".

`close_up` is that rule on two halves of a string. `RunningText` applies it to the parse tree:
the document's text nodes in reading order seen as one string. What the rule looks at is the
sentence, not the field's own text node: the text either side within the same block (a
paragraph, a list item, a cell), across inline markup such as `<b>dear</b> *|FNAME|*, welcome`
or `<strong>*|FNAME|*</strong>, welcome`. Closing up removes a range of that string (the field,
and the space or comma it leaves hanging), text node by text node; an inline element the field
alone filled (`<a href=...>*|FNAME|*</a>`) goes with it, so no empty link or emphasis is left.
"""
from __future__ import annotations

import bisect
from typing import Callable

from bs4 import BeautifulSoup, CData, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from ..dom import gone

_NOT_TEXT = (CData, Declaration, Doctype, ProcessingInstruction)
_SPACES = (" ", "\u00a0")
_AFTER_PUNCTUATION = ",.;:!?([{"

# Where a sentence ends: the text either side of a field is looked for inside the same one.
BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "div", "dl", "dt",
    "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "html", "li", "main",
    "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
})
# Inline elements that are nothing without their text (media and line breaks are something).
_TEXT_HOLDERS = frozenset({
    "a", "abbr", "b", "big", "cite", "del", "em", "font", "i", "ins", "label", "mark", "q", "s", "small",
    "span", "strike", "strong", "sub", "sup", "u",
})
_NOT_EMPTY = frozenset({"audio", "br", "embed", "hr", "iframe", "img", "input", "math", "object", "picture",
                        "source", "svg", "video"})


def close_up(left: str, right: str) -> str:
    """The text either side of a removed field, joined as if the field had never been written:
    one space, none before punctuation, no comma left hanging ("Thanks, *|FNAME|*!" -> "Thanks!",
    "News: *|FNAME|*, hello" -> "News: hello", "Thanks, *|FNAME|*" -> "Thanks")."""
    return "".join(_closed(left, right))


def _closed(left: str, right: str) -> tuple[str, str]:
    """`close_up`'s two halves as they stay: only ever the end of `left` and the start of
    `right` are cut, so the halves may live in different text nodes."""
    if right.startswith(",") and (not left.strip() or left.rstrip()[-1] in _AFTER_PUNCTUATION):
        right = right[1:]
    if left.endswith(_SPACES) and (right[:1] in _SPACES or (right[:1] and right[0] in ",.;:!?)")):
        left = left[:-1]
        if left.endswith(",") and right[:1] in (".", "!", "?"):
            left = left[:-1]
    if not right.strip():  # the field ended the sentence: nothing hangs before it
        left = left.rstrip(" \u00a0")
        if left.endswith(","):
            left = left[:-1]
    if not left.strip():  # the field began it: nothing hangs after it
        right = right.lstrip(" \u00a0")
    return left, right


def _short(text: str) -> bool:
    return len(text.strip()) < 2


def _block_of(node) -> int | None:
    for parent in node.parents:
        if parent.name in BLOCKS:
            return id(parent)
    return None


class RunningText:
    """The document's text nodes in reading order, as one string with each node's offset.

    `accepts` picks the nodes that count (by default every string but CDATA, declarations and
    processing instructions: comments count, since templates hide their tags there). Offsets are
    those of `joined` as it is now: each change reads the document again, and several changes
    are made from the last to the first, so the offsets of those still to come hold."""

    def __init__(self, doc: BeautifulSoup, accepts: Callable[[NavigableString], bool] | None = None):
        self.doc = doc
        self.accepts = accepts
        self._read()

    def _read(self) -> None:
        self.nodes = [n for n in self.doc.descendants if isinstance(n, NavigableString) and not isinstance(n, _NOT_TEXT)
                      and str(n) and (self.accepts is None or self.accepts(n))]
        self.texts = [str(n) for n in self.nodes]
        self.starts = []
        offset = 0
        for text in self.texts:
            self.starts.append(offset)
            offset += len(text)
        self.joined = "".join(self.texts)

    def _at(self, offset: int, ending: bool) -> int:
        """The node holding `offset`: for a range's end, the node it ends in."""
        index = bisect.bisect_right(self.starts, offset) - 1
        if ending and index > 0 and offset == self.starts[index]:
            index -= 1
        return max(index, 0)

    def replace(self, start: int, end: int, text: str = "") -> None:
        """Put `text` in place of the range [start, end) of `joined`; the elements wholly inside
        the range go."""
        self._change(start, end, text)
        self._read()

    def remove_field(self, start: int, end: int, floor: int = 0) -> None:
        """Remove the per-reader field at [start, end) and close up the sentence around it, never
        cutting before `floor` (the end of a change still to be made, before this one)."""
        if not self.nodes or start >= end:
            return
        first, last = self._at(start, False), self._at(end, True)
        left, right = self._left_of(first, start), self._right_of(last, end)
        kept_left, kept_right = _closed(left, right)
        low, high = max(start - (len(left) - len(kept_left)), floor), end + len(right) - len(kept_right)
        touched = range(self._at(low, False), self._at(high, True) + 1)
        holders = list(dict.fromkeys(parent for index in touched for parent in self.nodes[index].parents
                                     if parent.name in _TEXT_HOLDERS))
        # From the last to the first, so each cut finds the text before it as it was read. Only
        # the field's own range takes elements with it; the space or comma either side is cut
        # from its text node alone, so an image or a line break next to it stays.
        self._cut_text(end, high)
        self._change(start, end, "")
        self._cut_text(low, start)
        for holder in holders:  # innermost first, node by node
            if holder.parent is None or gone(holder) or any(el.name in _NOT_EMPTY for el in holder.find_all(True)):
                continue
            # Comments count: a template may keep its tags there, which are still to be read.
            shown = "".join(node for node in holder.descendants if isinstance(node, NavigableString))
            if not shown:
                holder.decompose()
            elif not shown.strip():
                holder.unwrap()  # its space still parts two words
        self._read()

    def _cut_text(self, start: int, end: int) -> None:
        """Remove [start, end) of `joined` from the text nodes that hold it, and nothing else."""
        if start >= end:
            return
        for index in range(self._at(start, False), self._at(end, True) + 1):
            text, offset = self.texts[index], self.starts[index]
            self._set(index, text[:max(start - offset, 0)] + text[max(end - offset, 0):])

    def _left_of(self, index: int, start: int) -> str:
        """The sentence's text before `start`, back to its block's start (or a line break, or an
        image) or far enough to hold two characters that are not blank, whichever comes first:
        all the rule looks at, since it cuts at most one such character (a comma) from either
        side before it asks whether anything is left."""
        parts = [self.texts[index][:start - self.starts[index]]]
        while _short("".join(parts)) and index > 0 and self._same_sentence(index - 1, index):
            index -= 1
            parts.insert(0, self.texts[index])
        return "".join(parts)

    def _right_of(self, index: int, end: int) -> str:
        parts = [self.texts[index][end - self.starts[index]:]]
        while _short("".join(parts)) and index + 1 < len(self.nodes) and self._same_sentence(index, index + 1):
            index += 1
            parts.append(self.texts[index])
        return "".join(parts)

    def _same_sentence(self, before: int, after: int) -> bool:
        """Whether two neighbouring text nodes are one run of text: the same block, and nothing
        between them that is not text (an image, a line break)."""
        if _block_of(self.nodes[before]) != _block_of(self.nodes[after]):
            return False
        node, end = self.nodes[before].next_element, self.nodes[after]
        while node is not None and node is not end:
            if isinstance(node, Tag) and node.name in _NOT_EMPTY:
                return False
            node = node.next_element
        return True

    def _set(self, index: int, text: str) -> None:
        node = self.nodes[index]
        if text:
            new = type(node)(text)
            node.replace_with(new)
            self.nodes[index] = new
        else:
            node.extract()
        self.texts[index] = text

    def _change(self, start: int, end: int, text: str) -> None:
        first, last = self._at(start, False), self._at(end, True)
        head = self.texts[first][:start - self.starts[first]] + text
        tail = self.texts[last][end - self.starts[last]:]
        if first == last:
            self._set(first, head + tail)
            return
        for node in _between(self.nodes[first], self.nodes[last]):
            node.extract()
        self._set(last, tail)
        self._set(first, head)


def _last_descendant(node):
    while isinstance(node, Tag) and node.contents:
        node = node.contents[-1]
    return node


def _between(start, end) -> list:
    """The nodes wholly between two nodes in reading order (the ancestors of `end` are only
    partly inside, and stay); the outermost of each run, so each goes once."""
    keep = {id(parent) for parent in end.parents}
    found = []
    node = start.next_element
    while node is not None and node is not end:
        if id(node) in keep:
            node = node.next_element
            continue
        found.append(node)
        node = _last_descendant(node).next_element
    return found
