"""Template tags a platform fills in per reader leave the text: Buttondown renders each body as a
Django template, so `{{ subscriber.metadata.first_name }}` or `{% if subscriber.tags %}` showed
every reader something else, and the archive nothing of the tag itself.

The tags are found in text nodes (never inside code or pre, where they are what the author
showed), by the patterns in the platform mapping's `template_tags` section, and go as a per-reader
field goes (see running_text: "Hi {{ subscriber.metadata.first_name }}, welcome." reads "Hi,
welcome."); a link whose whole address is a tag (`{{ unsubscribe_url }}`) keeps its text only. A
platform without the section has nothing to do here.
"""
from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString

from ..dom import attr_text, elements, in_code
from ..mappings import Problems, _check_keys, _string_list, register_section
from ..record import Issue
from .base import Cleaner, register
from .running_text import RunningText

SECTION = "template_tags"


@register_section(SECTION)
def load_template_tags(value, where: str, problems: Problems) -> re.Pattern | None:
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping with `patterns:` (regular expressions)")
        return None
    _check_keys(value, {"patterns"}, where, problems)
    patterns = _string_list(value.get("patterns"), f"{where}.patterns", problems)
    try:
        return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None
    except re.error as exc:
        problems.add(f"{where}.patterns", f"holds an invalid regular expression ({exc})")
        return None


@register
class TemplateTags(Cleaner):
    name = "template_tags"
    is_document = True  # about the whole document: the chain walks up to it, then on
    platform_section = SECTION

    def __init__(self, context, **options):
        super().__init__(context, **options)
        self.pattern: re.Pattern = context.platform.section(SECTION)

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        removed: list[str] = []
        for a in elements(doc, {"a"}):
            href = attr_text(a, "href")
            if href and self.pattern.fullmatch(href):
                removed.append(href)
                a.unwrap()
        # Comments, CDATA and the like are not text a reader sees; code shows the tags as written.
        text = RunningText(doc, lambda node: type(node) is NavigableString
                           and not in_code(node))
        found = [(start + m.start(), start + m.end(), m.group(0))
                 for start, node_text in zip(text.starts, text.texts) for m in self.pattern.finditer(node_text)]
        removed.extend(tag for _, _, tag in found)
        for index in reversed(range(len(found))):
            start, end, _ = found[index]
            text.remove_field(start, end, floor=found[index - 1][1] if index else 0)
        if removed:
            shown = ", ".join(dict.fromkeys(tag.strip() for tag in removed))
            issue.warnings.append(f"{len(removed)} template tag(s) the platform filled in for each reader were removed: {shown[:200]}")
