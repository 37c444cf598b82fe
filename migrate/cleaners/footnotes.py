"""Footnotes are marked on the tree, for the converter to write as Markdown footnotes.

The platform mapping's `footnote_markup` section says how the platform marks them: the `reference` in
the text (Substack: `a.footnote-anchor`, `href="#footnote-1"`), the `note` block, and inside it
the note's `label` (`a.footnote-number`, `id="footnote-1"`) and its `content`. Markdown rendered
with footnotes (Buttondown's bodies) has no label element: a note is found by its own id and
numbered in order, and its `backreference` links and the `leftovers` around the notes (a rule,
the emptied list) go. Each reference
becomes `<nm-footnote-ref>label</nm-footnote-ref>` (written `[^label]`) and each note
`<nm-footnote data-label="label">content</nm-footnote>` at the end of the body (written
`[^label]: content`). A reference whose note is missing keeps its number as plain text, and a
note no reference points at keeps its content as plain paragraphs at the end, each named in a
warning, so no text is lost and no footnote is left dangling.
"""
from __future__ import annotations

import re
from typing import Any

import soupsieve
from bs4 import BeautifulSoup, Tag

from ..dom import attr_text, elements, gone
from ..mappings import Problems, _check_keys, _check_selector, register_section
from ..record import Issue
from .base import Cleaner, register

# Labels the converter may write: what Markdown footnote labels hold without escaping.
FOOTNOTE_LABEL = re.compile(r"[A-Za-z0-9_-]{1,32}")
_REQUIRED = ("reference", "note")
_OPTIONAL = ("label", "content", "backreference")


@register_section("footnote_markup")
def load_footnotes(value: Any, where: str, problems: Problems) -> dict:
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping with `reference:` and `note:` selectors (and optionally "
                            "`label:`, `content:`, `backreference:` and a `leftovers:` list)")
        return {}
    _check_keys(value, {*_REQUIRED, *_OPTIONAL, "leftovers"}, where, problems)
    section: dict[str, Any] = {}
    for part in (*_REQUIRED, *_OPTIONAL):
        selector = value.get(part)
        if selector is None and part in _OPTIONAL:
            continue
        if not isinstance(selector, str):
            problems.add(f"{where} {part}", "must be a CSS selector")
        elif _check_selector(selector, f"{where} {part}", problems):
            section[part] = selector
    leftovers = value.get("leftovers") or []
    if not isinstance(leftovers, list) or not all(isinstance(sel, str) for sel in leftovers):
        problems.add(f"{where} leftovers", "must be a list of CSS selectors")
        leftovers = []
    section["leftovers"] = [sel for sel in leftovers if _check_selector(sel, f"{where} leftovers", problems)]
    return section if all(part in section for part in _REQUIRED) else {}


def _fragment(href: str) -> str:
    return href.split("#", 1)[1] if "#" in href else ""


@register
class Footnotes(Cleaner):
    name = "footnotes"
    is_document = True  # about the whole document: the chain walks up to it, then on
    platform_section = "footnote_markup"

    def __init__(self, context, **options):
        super().__init__(context, **options)
        section = context.platform.section("footnote_markup")
        self.selectors = {part: soupsieve.compile(section[part]) for part in (*_REQUIRED, *_OPTIONAL) if part in section}
        self.leftovers = [soupsieve.compile(sel) for sel in section["leftovers"]]

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        # Markers only this cleaner makes; any that came with the source are forged.
        for forged in elements(doc, {"nm-footnote", "nm-footnote-ref"}):
            forged.unwrap()
        body = doc.body if doc.body is not None else doc
        if "backreference" in self.selectors:
            for link in self.selectors["backreference"].select(doc):
                if not gone(link):
                    link.decompose()
        notes: dict[str, tuple[str, Tag]] = {}   # the id references point at -> (label, content)
        order: list[str] = []
        for note in self.selectors["note"].select(doc):
            if gone(note):
                continue
            label_el = self.selectors["label"].select_one(note) if "label" in self.selectors else None
            content = self.selectors["content"].select_one(note) if "content" in self.selectors else None
            if label_el is not None:
                label, key = label_el.get_text(strip=True), attr_text(label_el, "id")
            else:  # notes rendered from Markdown: found by their own id, numbered in order
                label, key = str(len(order) + 1), attr_text(note, "id")
            if content is None:
                if label_el is not None:
                    label_el.decompose()
                content = note
            key = key or f"label:{label}"
            if key in notes:
                key = f"{key}#{len(notes)}"
            notes[key] = (label, content.extract() if content is not note else content)
            order.append(key)
            if content is not note:
                note.decompose()
            else:
                note.extract()
        referenced: dict[str, str] = {}  # key -> the label written
        for ref in self.selectors["reference"].select(doc):
            link = ref if ref.has_attr("href") else ref.find("a", href=True)
            label = ref.get_text(strip=True).strip("[]")
            key = _fragment(attr_text(link, "href")) if link is not None else ""
            key = key if key in notes else f"label:{label}"
            if key in notes and notes[key][0]:
                label = notes[key][0]  # the note's own number, however the reference shows it
            if key in notes and FOOTNOTE_LABEL.fullmatch(label) and referenced.get(key, label) == label:
                marker = doc.new_tag("nm-footnote-ref")
                marker.string = label
                ref.replace_with(marker)
                referenced[key] = label
            else:
                issue.warnings.append(f"footnote reference {label!r} has no note it can point at; its number is kept as text")
                ref.replace_with(doc.new_string(label))
        for key in order:
            label, content = notes[key]
            if key in referenced:
                note = doc.new_tag("nm-footnote", attrs={"data-label": referenced[key]})
                for child in list(content.contents):
                    note.append(child.extract())
                body.append(note)
            else:
                issue.warnings.append(f"footnote {label or '(unnumbered)'} is not referenced in the text; its note is kept as a paragraph at the end")
                block = doc.new_tag("div")
                for child in list(content.contents):
                    block.append(child.extract())
                body.append(block)
        for leftover in self.leftovers:
            for el in leftover.select(doc):
                if not gone(el):
                    el.decompose()
