"""Footnotes rendered from Markdown become text a page without anchors can still show.

A platform whose bodies are Markdown (Buttondown) has them rendered with footnotes: a superscript
link to the note, the notes in a list after a rule, each with a link back. The anchors those links
need do not survive into the Markdown (only the attributes it needs do), so each reference keeps
its label ("[1]") as plain superscript text, the links back go, and the notes stay a numbered list
after the rule. The selectors are the platform's, in the `markdown_footnotes` section of its mapping;
a platform without that section has nothing to do here.
"""
from __future__ import annotations

from dataclasses import dataclass

import soupsieve
from bs4 import BeautifulSoup

from ..dom import gone
from ..errors import NotConfigured
from ..mappings import Problems, _check_keys, _check_selector, register_section
from ..record import Issue
from .base import CleanContext, Cleaner, register

SECTION = "markdown_footnotes"


@dataclass(frozen=True)
class FootnoteSelectors:
    reference: str       # the superscript that refers to a note
    backreference: str   # the link from a note back to its reference
    notes: str           # the element holding the notes


@register_section(SECTION)
def load_footnote_selectors(value, where: str, problems: Problems) -> FootnoteSelectors | None:
    keys = {"reference", "backreference", "notes"}
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in keys):
        problems.add(where, "must be a mapping with `reference:`, `backreference:` and `notes:` selectors")
        return None
    _check_keys(value, keys, where, problems)
    if not all(_check_selector(value[k], f"{where}.{k}", problems) for k in sorted(keys)):
        return None
    return FootnoteSelectors(value["reference"], value["backreference"], value["notes"])


@register
class MarkdownFootnotes(Cleaner):
    name = "markdown_footnotes"

    @classmethod
    def from_config(cls, options: dict, context: CleanContext) -> "MarkdownFootnotes":
        selectors = context.platform.section(SECTION)
        if selectors is None:
            raise NotConfigured(f"the platform's mapping has no {SECTION} section")
        return cls(context, selectors=selectors, **options)

    def __init__(self, context, selectors: FootnoteSelectors, **options):
        super().__init__(context, **options)
        self.reference = soupsieve.compile(selectors.reference)
        self.backreference = soupsieve.compile(selectors.backreference)
        self.notes = soupsieve.compile(selectors.notes)

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        for link in self.backreference.select(doc):
            if not gone(link):
                link.decompose()
        for reference in self.reference.select(doc):
            for link in reference.find_all("a"):
                link.unwrap()
        for notes in self.notes.select(doc):
            if not gone(notes):
                notes.unwrap()
