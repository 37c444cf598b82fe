"""URLs no parser can read go first, before any cleaner reads them.

`http://[2001:db8::1/page` (an IPv6 literal never closed) makes urllib raise, as it makes a
browser refuse the link; left in place it would stop every cleaner that looks at URLs, and with it
the whole issue. A link with such an address keeps its text and loses the link; an image with
one is kept with its alt text only; any other attribute holding one goes; each is named in a
warning, since the author meant something there.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from bs4 import Tag

from ..dom import attr_text
from ..urls import srcset_urls
from .base import Cleaner, Walk, register
from .unsafe import URL_ATTR_SET, URL_ATTRS


def readable(url: str) -> bool:
    try:
        urlsplit(url)
    except ValueError:
        return False
    return True


@register
class MalformedUrls(Cleaner):
    name = "malformed_urls"
    tags = frozenset({"*"})

    def visit(self, el: Tag, walk: Walk):
        attrs = el.attrs
        if not attrs or URL_ATTR_SET.isdisjoint(attrs):
            return None
        for attr in URL_ATTRS:
            if attr not in attrs:
                continue
            values = srcset_urls(attr_text(el, attr)) if attr == "srcset" else [attr_text(el, attr)]
            bad = next((value for value in values if not readable(value)), None)
            if bad is None:
                continue
            walk.issue.warnings.append(f"{attr}={bad[:80]!r} on <{el.name}> is not a URL anyone can read; "
                                       "it was left out (fix it with an override if it mattered)")
            if el.name == "a" and attr == "href":
                el.unwrap()
                return None
            if el.name == "img" and attr == "src":
                alt = attr_text(el, "alt")
                if alt:
                    text = walk.doc.new_string(alt)
                    el.replace_with(text)
                    return text
                el.decompose()
                return None
            del el[attr]
        return None
