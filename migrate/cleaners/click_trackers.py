"""Links through a platform's click tracker lead where the source does not say.

A click-tracking address (Mailchimp's `*.list-manage.com/track/click?u=...&id=...&e=...`) is
resolved on the platform's server, which will not answer for ever; the target is not in the
link. Such a link becomes its own text when that text is a web address (emails often show the
address they link to); a tracker that carries its target in a query parameter (the mapping's
`target_param`) gives it back; otherwise the text stays without the link and the run names it,
so the author can restore it. Trackers come from the platform mapping's `click_trackers:` list.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bs4 import Tag

from ..dom import attr_text
from ..mappings import Problems, register_section
from ..urls import host_matches
from .base import Cleaner, Walk, register

SECTION = "click_trackers"


@dataclass(frozen=True)
class Tracker:
    host: str
    path: str
    target_param: str | None = None

    def matches(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        return host_matches(parts.hostname or "", [self.host]) and parts.path.startswith(self.path)

    def target(self, url: str) -> str | None:
        if not self.target_param:
            return None
        try:
            value = dict(parse_qsl(urlsplit(url).query)).get(self.target_param, "")
        except ValueError:
            return None
        return value if _is_web_address(value) else None


@register_section(SECTION)
def load_trackers(value: Any, where: str, problems: Problems) -> list[Tracker] | None:
    if not isinstance(value, list):
        problems.add(where, "must be a list of {host:, path:} (and optional target_param:)")
        return None
    trackers = []
    for i, item in enumerate(value):
        item_where = f"{where}[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("host"), str) or not isinstance(item.get("path"), str):
            problems.add(item_where, "must be a mapping with `host:` and `path:`")
            continue
        unknown = set(item) - {"host", "path", "target_param"}
        if unknown:
            problems.add(item_where, f"unknown key(s) {', '.join(sorted(unknown))} (expected host, path, target_param)")
        param = item.get("target_param")
        if param is not None and not isinstance(param, str):
            problems.add(item_where, "`target_param` must be a parameter name")
            param = None
        trackers.append(Tracker(item["host"].lower(), item["path"], param))
    return trackers


def _is_web_address(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in text and "…" not in text


@register
class ClickTrackers(Cleaner):
    name = "click_trackers"
    platform_section = SECTION
    tags = frozenset({"a"})

    def visit(self, a: Tag, walk: Walk):
        trackers: list[Tracker] = self.context.platform.section(SECTION)
        href = attr_text(a, "href")
        tracker = next((t for t in trackers if t.matches(href)), None) if href else None
        if tracker is None:
            return None
        text = " ".join(a.get_text(" ").split())
        target = tracker.target(href) or (text if _is_web_address(text) else None)
        if target:
            a["href"] = target
            return None
        walk.issue.warnings.append(f"the link {text or '(an image)'!r} went through {tracker.host}'s click tracker, "
                                   "which does not say where it leads; its text is kept without the link")
        if text or a.find("img") is not None:
            a.unwrap()
        else:
            a.decompose()
        return None
