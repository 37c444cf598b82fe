"""Images served through an image CDN's fetch URLs come back to their original upload.

Substack shows each picture through `https://substackcdn.com/image/fetch/<params>/<original URL,
percent-encoded>`, once per size (`srcset`, `<picture><source>`), and links the picture to a
bigger variant. The original is downloaded once: every fetch URL is decoded to the URL it wraps
(with urllib), the size variants go, and a link whose only content is the picture and whose target
is a variant of it goes too (an image linked somewhere else keeps its link). The figure and its
caption stay for the structure cleaner and the converter.

A picture whose original is a format browsers do not show (most of a Substack archive's photos
are iPhone HEIC uploads, which only Safari shows) is taken from the CDN instead, which converts:
the page's own fetch URL with its size transforms dropped (the original's full size) and the
mapping's format, e.g. `$s_!8JeV!,w_1456,c_limit,f_webp,q_auto:good/...` ->
`$s_!8JeV!,f_jpg,q_auto:good/...`. The transforms are Cloudinary's (`name_value`, comma-separated;
`$s_!...!` is a user-defined variable the CDN keeps for every size of a picture, so it stays).
Should the CDN not answer, the run's image store falls back to the original and converts it.

The platform mapping's `image_cdn` section names the CDN hosts, the fetch path and the rendition.
"""
from __future__ import annotations

import json
from functools import partial
from typing import Any, Callable
from urllib.parse import unquote, urlsplit, urlunsplit

from bs4 import Tag

from ..dom import attr_text
from ..imageformats import browser_shows, format_of_media_type, format_of_url
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
    _check_keys(value, {"hosts", "fetch_path", "rendition"}, where, problems)
    fetch_path = value.get("fetch_path")
    if not isinstance(fetch_path, str) or not fetch_path.startswith("/"):
        problems.add(f"{where} fetch_path", "must be a path starting with '/', such as /image/fetch/")
        fetch_path = "/image/fetch/"
    return {"hosts": [h.lower() for h in _string_list(value.get("hosts"), f"{where} hosts", problems)],
            "fetch_path": fetch_path.rstrip("/") + "/",
            "rendition": _load_rendition(value.get("rendition"), f"{where} rendition", problems)}


def _load_rendition(value: Any, where: str, problems: Problems) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping with `format:` (such as f_jpg) and `drop:` (the size transforms)")
        return None
    _check_keys(value, {"format", "drop"}, where, problems)
    fmt = value.get("format")
    if not isinstance(fmt, str) or "_" not in fmt or "," in fmt or "/" in fmt:
        problems.add(f"{where} format", "must be one transform naming a format, such as f_jpg")
        return None
    return {"format": fmt, "drop": tuple(_string_list(value.get("drop"), f"{where} drop", problems))}


def _fetch_parts(url: str, hosts: list[str], fetch_path: str):
    """A CDN fetch URL split into its parts, its transforms and the URL it wraps (as written);
    None when `url` is not one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not host_matches(parts.hostname or "", hosts) or not parts.path.startswith(fetch_path):
        return None
    params, _, wrapped = parts.path[len(fetch_path):].partition("/")
    return (parts, params, wrapped) if params and wrapped else None


def original_url(url: str, hosts: list[str], fetch_path: str) -> str | None:
    """The URL a CDN fetch URL wraps (`<fetch_path><params>/<URL>`), or None when `url` is not one."""
    found = None
    for _ in range(MAX_NESTING):
        split = _fetch_parts(url, hosts, fetch_path)
        if split is None:
            return found
        parts, _, wrapped = split
        # The wrapped URL is percent-encoded in the path (its own query encoded with it); a raw
        # one keeps `https:/` in the path and its query is the outer URL's.
        inner = unquote(wrapped)
        if not inner.startswith(("https://", "http://")):
            return found
        if parts.query and "%3F" not in wrapped.upper():
            inner = urlunsplit(urlsplit(inner)._replace(query=parts.query))
        found = url = inner
    return found


def cdn_originals(platform) -> "Callable[[str], str | None] | None":
    """For the run's image store: url -> the original a CDN rendition of the platform wraps, or
    None; None for a platform without an image CDN."""
    section = platform.section("image_cdn")
    if not section:
        return None
    return partial(original_url, hosts=section["hosts"], fetch_path=section["fetch_path"])


def rendition_url(url: str, hosts: list[str], fetch_path: str, rendition: dict) -> str | None:
    """The CDN's full-size copy, in the rendition's format, of the picture a fetch URL shows;
    None when `url` is not a fetch URL. The wrapped original stays exactly as the URL has it."""
    split = _fetch_parts(url, hosts, fetch_path)
    if split is None:
        return None
    parts, params, wrapped = split
    key = rendition["format"].split("_", 1)[0] + "_"
    kept = [p for p in params.split(",") if p and not p.startswith((key, *rendition["drop"]))]
    # A user-defined variable ($name_value) is declared first, as Cloudinary reads it.
    variables = [p for p in kept if p.startswith("$")]
    others = [p for p in kept if not p.startswith("$")]
    transforms = ",".join(variables + [rendition["format"]] + others)
    return urlunsplit(parts._replace(path=f"{fetch_path}{transforms}/{wrapped}"))


def declared_format(img: Tag) -> str | None:
    """The format of a picture's original as the platform recorded it (Substack's `data-attrs`
    JSON holds its upload's media type), or None."""
    raw = attr_text(img, "data-attrs")
    if not raw:
        return None
    try:
        attrs = json.loads(raw)
    except ValueError:
        return None
    return format_of_media_type(attrs.get("type")) if isinstance(attrs, dict) and isinstance(attrs.get("type"), str) else None


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
        self.rendition = section.get("rendition")

    def original(self, url: str) -> str | None:
        return original_url(absolute(url), self.hosts, self.fetch_path)

    def visit(self, el: Tag, walk: Walk):
        if el.name in ("source", "picture"):
            # <source> is empty in HTML5, but lxml's parser nests what follows it (the <img>) inside it.
            el.unwrap()
            return None
        src = attr_text(el, "src") or next(iter(srcset_urls(attr_text(el, "srcset"))), "")
        if src:
            original = self.original(src) or src
            el["src"] = self._shown_copy(el, original) or original
        for attr in SIZE_ATTRIBUTES:
            if attr in el.attrs:
                del el[attr]
        return None

    def leave(self, a: Tag, walk: Walk) -> None:
        if self._links_to_itself(a):
            a.unwrap()

    def _shown_copy(self, img: Tag, original: str) -> str | None:
        """The CDN's rendition of a picture whose original browsers do not show (by the type the
        platform recorded, else the original's file name); None when the original will do, or
        the page holds no fetch URL of the picture to ask the CDN with."""
        if not self.rendition:
            return None
        declared = declared_format(img) or format_of_url(original)
        if declared is None or browser_shows(declared):
            return None
        for candidate in [attr_text(img, "src"), *srcset_urls(attr_text(img, "srcset")),
                          *srcset_urls(attr_text(img, "data-srcset")), attr_text(img, "data-src")]:
            if candidate and self.original(candidate) == original:
                found = rendition_url(absolute(candidate), self.hosts, self.fetch_path, self.rendition)
                if found:
                    return found
        return None

    def _links_to_itself(self, a: Tag) -> bool:
        """A link whose only content is a picture and whose target is that picture, in any size."""
        href = attr_text(a, "href")
        images = a.find_all("img")
        if not href or len(images) != 1 or a.get_text(strip=True):
            return False
        target = self.original(href) or absolute(href)
        src = attr_text(images[0], "src")
        return target == (self.original(src) or src)
