"""Images served through an image CDN's fetch URLs come back to their original upload.

Substack shows each picture through `https://substackcdn.com/image/fetch/<params>/<original URL,
percent-encoded>`, once per size (`srcset`, `<picture><source>`), and links the picture to a
bigger variant. The original is downloaded once: every fetch URL is decoded to the URL it wraps
(with urllib), the size variants go, and a link whose only content is the picture and whose target
is a variant of it goes too (an image linked somewhere else keeps its link). The figure and its
caption stay for the structure cleaner and the converter.

The platform mapping's `image_cdn` section names the CDN hosts and the fetch path.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from bs4 import Tag

from ..dom import attr_text
from ..mappings import Problems, _check_keys, _string_list, register_section
from ..urls import absolute, host_matches, srcset_urls
from .base import Cleaner, Walk, register

SIZE_ATTRIBUTES = ("srcset", "sizes", "data-src", "data-srcset")
MAX_NESTING = 4  # a fetch URL wrapping a fetch URL wrapping ... is unwrapped this many times at most


@register_section("image_cdn")
def load_image_cdn(value: Any, where: str, problems: Problems) -> dict:
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping with `hosts:` and `fetch_path:`")
        return {}
    _check_keys(value, {"hosts", "fetch_path"}, where, problems)
    fetch_path = value.get("fetch_path")
    if not isinstance(fetch_path, str) or not fetch_path.startswith("/"):
        problems.add(f"{where} fetch_path", "must be a path starting with '/', such as /image/fetch/")
        fetch_path = "/image/fetch/"
    return {"hosts": [h.lower() for h in _string_list(value.get("hosts"), f"{where} hosts", problems)],
            "fetch_path": fetch_path.rstrip("/") + "/"}


def original_url(url: str, hosts: list[str], fetch_path: str) -> str | None:
    """The URL a CDN fetch URL wraps (`<fetch_path><params>/<URL>`), or None when `url` is not one."""
    found = None
    for _ in range(MAX_NESTING):
        try:
            parts = urlsplit(url)
        except ValueError:
            return found
        if not host_matches(parts.hostname or "", hosts) or not parts.path.startswith(fetch_path):
            return found
        # The wrapped URL is percent-encoded in the path (its own query encoded with it); a raw
        # one keeps `https:/` in the path and its query is the outer URL's.
        params, _, wrapped = parts.path[len(fetch_path):].partition("/")
        if not params or not wrapped:
            return found
        inner = unquote(wrapped)
        if not inner.startswith(("https://", "http://")):
            return found
        if parts.query and "%3F" not in wrapped.upper():
            inner = urlunsplit(urlsplit(inner)._replace(query=parts.query))
        found = url = inner
    return found


@register
class ImageCdn(Cleaner):
    name = "image_cdn"
    platform_section = "image_cdn"
    tags = frozenset({"source", "img", "picture"})
    leave_tags = frozenset({"a"})

    def __init__(self, context, **options):
        super().__init__(context, **options)
        section = context.platform.section("image_cdn")
        self.hosts, self.fetch_path = section["hosts"], section["fetch_path"]

    def original(self, url: str) -> str | None:
        return original_url(absolute(url), self.hosts, self.fetch_path)

    def visit(self, el: Tag, walk: Walk):
        if el.name in ("source", "picture"):
            # <source> is empty in HTML5, but lxml's parser nests what follows it (the <img>) inside it.
            el.unwrap()
            return None
        src = attr_text(el, "src") or next(iter(srcset_urls(attr_text(el, "srcset"))), "")
        if src:
            el["src"] = self.original(src) or src
        for attr in SIZE_ATTRIBUTES:
            if attr in el.attrs:
                del el[attr]
        return None

    def leave(self, a: Tag, walk: Walk) -> None:
        if self._links_to_itself(a):
            a.unwrap()

    def _links_to_itself(self, a: Tag) -> bool:
        """A link whose only content is a picture and whose target is that picture, in any size."""
        href = attr_text(a, "href")
        images = a.find_all("img")
        if not href or len(images) != 1 or a.get_text(strip=True):
            return False
        target = self.original(href) or absolute(href)
        return target == attr_text(images[0], "src")
