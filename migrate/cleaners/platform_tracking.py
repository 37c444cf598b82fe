"""Parameters that only mean something to the platform leave links to the platform's own pages.

A Substack link to a post may carry the reader's referral code (`r`), a login `token` from the
email it was copied out of, or redirect markers; on any other host those names may mean something
else, so they are removed only from links to the platform's hosts (its mapping's `hosts:`) and to
the newsletter's own hosts (those of the issue's old URLs). The names are the platform mapping's
`tracking: {params: [...]}`.
"""
from __future__ import annotations

from typing import Any

from bs4 import NavigableString, Tag

from ..mappings import Problems, TrackingRules, _check_keys, _string_list, register_section
from ..urls import host_of
from .base import Cleaner, Walk, register
from .tracking import URL_ATTRIBUTES, strip_tracking_from, strip_tracking_in_text


@register_section("tracking")
def load_platform_tracking(value: Any, where: str, problems: Problems) -> frozenset[str]:
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping with `params:`")
        return frozenset()
    _check_keys(value, {"params"}, where, problems)
    return frozenset(p.lower() for p in _string_list(value.get("params"), f"{where} params", problems))


@register
class PlatformTracking(Cleaner):
    name = "platform_tracking"
    platform_section = "tracking"
    tags = frozenset(URL_ATTRIBUTES)
    texts = True

    def start(self, walk: Walk) -> None:
        names = self.context.platform.section("tracking")
        hosts = {h.lower() for h in self.context.platform.hosts} | {host_of(url) for url in walk.issue.old_urls} - {""}
        walk.kept[self.name] = TrackingRules(by_host=tuple((host, names) for host in sorted(hosts)))

    def visit(self, el: Tag, walk: Walk):
        strip_tracking_from(el, walk.kept[self.name], walk.issue)
        return None

    def visit_text(self, node: NavigableString, walk: Walk):
        return strip_tracking_in_text(node, walk.kept[self.name], walk.issue)
