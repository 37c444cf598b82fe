"""One walk over the parse tree, many cleaners: each element is handed to the cleaners registered
for its tag, its id or one of its classes, in the chain's order, as markdownify hands each tag to
its `convert_<tag>` method.

A cleaner registers through its `tags`, `ids` and `classes` (set per instance, from its mapping),
`texts` (it is handed text nodes too) and `leave_tags` (it is handed those elements again once
their content was walked, for decisions about what is left inside). A cleaner whose work is about
the whole document (restructuring paragraphs, moving footnotes to the end) sets
`is_document` and implements `clean(doc, issue)` instead; the chain then walks up to it, lets it work, and walks on. So a
chain of per-element cleaners costs one walk, however many cleaners it has.

What a handler may do to the element it is handed, and how the walk goes on:
- change it in place (rename it, edit its attributes, wrap its children): the cleaners after it
  in the chain are handed it as it is now, found again by its new name and classes;
- remove it (decompose, extract): its content is not walked;
- unwrap it: its children, now in its place, are walked and handed to every cleaner;
- replace it and return the replacement (or the list of nodes that took its place): they, and
  their content, are walked and handed to every cleaner (they are nodes no cleaner has seen). Elements a cleaner makes that
  other cleaners must tell from the source's (`nm-shortcode`) are marked with `dom.made_here`.
"""
from __future__ import annotations

from bisect import insort
from typing import TYPE_CHECKING

from bs4 import NavigableString, Tag

if TYPE_CHECKING:  # pragma: no cover
    from bs4 import BeautifulSoup

    from ..record import Issue
    from .base import Cleaner


class Walk:
    """One issue's walk: the issue, the document, and what each cleaner keeps for this issue
    (cleaners are shared by the run's threads, so nothing per issue is kept on them)."""

    def __init__(self, doc: "BeautifulSoup", issue: "Issue"):
        self.doc = doc
        self.issue = issue
        self.kept: dict[str, object] = {}


class Dispatch:
    """Which cleaners are handed which nodes, for a stretch of the chain with no document step."""

    def __init__(self, cleaners: list["Cleaner"]):
        self.cleaners = cleaners
        self.by_tag: dict[str, list[int]] = {}
        self.by_id: dict[str, list[int]] = {}
        self.by_class: dict[str, list[int]] = {}
        self.every: list[int] = []
        self.texts = [c for c in cleaners if c.texts]
        self.leaving: dict[str, list[int]] = {}
        for index, cleaner in enumerate(cleaners):
            if "*" in cleaner.tags:
                self.every.append(index)
            for name in cleaner.tags - {"*"}:
                self.by_tag.setdefault(name, []).append(index)
            for name in cleaner.ids:
                self.by_id.setdefault(name, []).append(index)
            for name in cleaner.classes:
                self.by_class.setdefault(name, []).append(index)
            for name in cleaner.leave_tags:
                self.leaving.setdefault(name, []).append(index)
        self._plain: dict[str, list[int]] = {}  # by tag name, with the handlers of every element

    def handlers(self, el: Tag, after: int = -1) -> list[int]:
        """The cleaners `el` is handed to (their positions after `after`), in chain order."""
        name = el.name
        found = self._plain.get(name)
        if found is None:
            found = self._plain[name] = sorted(set(self.by_tag.get(name, ())) | set(self.every))
        attrs = el.attrs
        if attrs and (self.by_class or self.by_id):
            extra = []
            classes = attrs.get("class")
            if classes and self.by_class:
                for cls in (classes.split() if isinstance(classes, str) else classes):
                    extra += self.by_class.get(cls, ())
            element_id = attrs.get("id")
            if element_id and self.by_id:
                extra += self.by_id.get(element_id if isinstance(element_id, str) else " ".join(element_id), ())
            if extra:
                merged = list(found)
                for index in extra:
                    if index not in merged:
                        insort(merged, index)
                found = merged
        return [i for i in found if i > after] if after >= 0 else found

    def run(self, root, walk: Walk) -> None:
        cleaners, texts, leaving = self.cleaners, self.texts, self.leaving
        # The stack holds (node, the parent it had when it was pushed) to enter, or (element,
        # None) to leave. A node that moved or went since it was pushed is not entered.
        stack: list[tuple] = [(node, root) for node in reversed(root.contents)]
        while stack:
            node, parent = stack.pop()
            if parent is None:  # leaving
                if _parent(node) is not None:
                    for index in leaving.get(node.name, ()):
                        cleaners[index].leave(node, walk)
                        if _parent(node) is None:
                            break
                continue
            if node.__dict__.get("_decomposed") or node.parent is not parent:
                continue
            if not isinstance(node, Tag):
                if texts and isinstance(node, NavigableString):
                    for cleaner in texts:
                        replacement = cleaner.visit_text(node, walk)
                        if replacement is not None:
                            stack.extend((new, new.parent) for new in reversed(replacement))
                            break
                        if _parent(node) is None:
                            break
                continue
            el = node
            handlers = self.handlers(el)
            children = list(el.contents) if handlers else ()  # what an unwrapping handler leaves to walk
            position = 0
            while position < len(handlers):
                index = handlers[position]
                name, classes = el.name, el.attrs.get("class")
                replacement = cleaners[index].visit(el, walk)
                if replacement is not None and replacement is not el:
                    made = replacement if isinstance(replacement, list) else [replacement]
                    stack.extend((new, new.parent) for new in reversed(made) if new.parent is not None)
                    el = None
                    break
                if _parent(el) is None:
                    if not el.__dict__.get("_decomposed"):  # unwrapped: walk what it held
                        stack.extend((child, parent) for child in reversed(children)
                                     if not child.__dict__.get("_decomposed") and child.parent is parent)
                    el = None
                    break
                if el.name != name or el.attrs.get("class") != classes:
                    handlers = self.handlers(el, after=index)  # renamed: found again by what it is now
                    position = 0
                else:
                    position += 1
            if el is None:
                continue
            if el.name in leaving:
                stack.append((el, None))
            stack.extend((child, el) for child in reversed(el.contents))


def _parent(node):
    """A node's parent, None once it was removed or decomposed. Read from the node itself: bs4
    wipes a decomposed node's attributes, and `.parent` of a wiped Tag is then bs4's shorthand
    for `find("parent")`, a search through the general filter machinery each time."""
    return node.__dict__.get("parent")


def is_document(cleaner: "Cleaner") -> bool:
    """Whether a cleaner works on the whole document: it says so, or it implements `clean`
    itself (a cleaner written before the walk existed keeps working, as a step of its own)."""
    from .base import Cleaner

    return cleaner.is_document or type(cleaner).clean is not Cleaner.clean


class Plan:
    """A chain as steps: a Dispatch (one walk) for each stretch of per-element cleaners, and each
    document cleaner in its place. Built once per chain, used for every issue."""

    def __init__(self, cleaners: list["Cleaner"]):
        self.cleaners = list(cleaners)
        self.steps: list = []
        stretch: list = []
        for cleaner in self.cleaners:
            if is_document(cleaner):
                if stretch:
                    self.steps.append(Dispatch(stretch))
                    stretch = []
                self.steps.append(cleaner)
            else:
                stretch.append(cleaner)
        if stretch:
            self.steps.append(Dispatch(stretch))

    def run(self, doc: "BeautifulSoup", issue: "Issue") -> None:
        for step in self.steps:
            run_step(step, doc, issue)


def run_step(step, doc: "BeautifulSoup", issue: "Issue") -> None:
    """One step of a plan: a walk (with its cleaners' start and finish), or a document cleaner."""
    if isinstance(step, Dispatch):
        walk = Walk(doc, issue)
        for cleaner in step.cleaners:
            cleaner.start(walk)
        step.run(doc, walk)
        for cleaner in step.cleaners:
            cleaner.finish(walk)
    else:
        step.clean(doc, issue)
