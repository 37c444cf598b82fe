"""A document's running text, and how a field a platform fills in per reader leaves it.

Platforms put per-reader fields in running text (Mailchimp's `*|FNAME|*`, Buttondown's
`{{ subscriber.email }}`). An archive reader is nobody in particular, so the field shows nothing,
and the sentence around it closes up as if it had never been there: "Hello *|FNAME|*, welcome."
reads "Hello, welcome.", "Thanks, {{ name }}!" reads "Thanks!". `close_up` is that rule on two
halves of a string; `RunningText` applies it (and any other change of the text) to the parse
tree: the document's text nodes in reading order seen as one string, each change made by
replacing the text nodes it touches, so a range may span elements.
"""
from __future__ import annotations

import bisect
from typing import Callable

from bs4 import BeautifulSoup, CData, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

_NOT_TEXT = (CData, Declaration, Doctype, ProcessingInstruction)
_SPACES = (" ", "\u00a0")


def close_up(left: str, right: str) -> str:
    """The text either side of a removed field, joined as if the field had never been written:
    one space, none before punctuation, no comma left hanging ("Thanks, *|FNAME|*!" -> "Thanks!",
    "News: *|FNAME|*, hello" -> "News: hello")."""
    return "".join(_closed(left, right))


def _closed(left: str, right: str) -> tuple[str, str]:
    """`close_up`'s two halves, each as it stays (for halves that live in different text nodes)."""
    if right.startswith(",") and (not left.strip() or left.rstrip()[-1] in ",.;:!?([{"):
        right = right[1:]
    if left.endswith(_SPACES) and (right[:1] in _SPACES or (right[:1] and right[0] in ",.;:!?)")):
        left = left[:-1]
        if left.endswith(",") and right[:1] in (".", "!", "?"):
            left = left[:-1]
    return left, right


class RunningText:
    """The document's text nodes in reading order, as one string with each node's offset.

    `accepts` picks the nodes that count (by default every string but CDATA, declarations and
    processing instructions: comments count, since templates hide their tags there)."""

    def __init__(self, doc: BeautifulSoup, accepts: Callable[[NavigableString], bool] | None = None):
        self.nodes = [n for n in doc.descendants if isinstance(n, NavigableString) and not isinstance(n, _NOT_TEXT)
                      and str(n) and (accepts is None or accepts(n))]
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

    def _set(self, index: int, text: str) -> None:
        node = self.nodes[index]
        if text:
            new = type(node)(text)
            node.replace_with(new)
            self.nodes[index] = new
        else:
            node.extract()
        self.texts[index] = text

    def replace(self, start: int, end: int, text: str = "") -> None:
        """Put `text` in place of the range [start, end) of `joined`. The elements wholly inside
        the range go; apply several changes from the last to the first, since offsets are the
        joined string's as it was read."""
        self._change(start, end, text, close=False)

    def remove_field(self, start: int, end: int) -> None:
        """Remove the per-reader field at [start, end) and close up the sentence around it."""
        self._change(start, end, "", close=True)

    def _change(self, start: int, end: int, text: str, close: bool) -> None:
        first, last = self._at(start, False), self._at(end, True)
        head = self.texts[first][:start - self.starts[first]] + text
        tail = self.texts[last][end - self.starts[last]:]
        if first == last:
            self._set(first, close_up(head, tail) if close else head + tail)
            return
        for node in _between(self.nodes[first], self.nodes[last]):
            node.extract()
        if close:
            head, tail = _closed(head, tail)
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
