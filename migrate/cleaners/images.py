"""Content images are downloaded once per run and the issue points at the local copies.

Downloads run concurrently in the run's ImageStore, shared by all issues, so an image used by
ten issues is fetched once. An image that cannot be fetched keeps its remote URL and is listed
as a failure of its issue; the run goes on.
"""
from __future__ import annotations

from bs4 import BeautifulSoup

from ..dom import attr_text, elements
from ..errors import NotConfigured
from ..record import ImageResult, Issue
from ..urls import absolute
from .base import CleanContext, Cleaner, register


@register
class Images(Cleaner):
    name = "images"

    @classmethod
    def from_config(cls, options: dict, context: CleanContext) -> "Images":
        if context.images is None:
            raise NotConfigured("images are not downloaded in this run")
        return cls(context, **options)

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        store = self.context.images
        pending = [(img, url, store.fetch(url)) for img, url in _images_with_urls(doc, issue)]
        for img, url, future in pending:
            shown = url if not url.startswith("data:") else "data: URL"
            try:
                stored = future.result()
            except Exception as exc:  # every failure is reported, none ends the run
                reason = str(exc) or type(exc).__name__
                issue.images.append(ImageResult(url=shown, error=reason))
                if url.startswith("data:"):
                    issue.failures.append(f"an inline (data:) image was dropped: {reason}")
                    img.decompose()
                else:
                    issue.failures.append(f"image {shown} stayed remote: {reason}")
                    img["src"] = url
                continue
            img["src"] = stored.url
            issue.images.append(ImageResult(url=shown, local=stored.url, file=stored.file))


def _images_with_urls(doc: BeautifulSoup, issue: Issue) -> list:
    """Each image of the body with the absolute URL to fetch; images without a source go."""
    base = issue.old_urls[0] if issue.old_urls else None
    found = []
    for img in elements(doc, {"img"}):
        src = attr_text(img, "src")
        if not src:
            img.decompose()
            continue
        found.append((img, src if src.startswith("data:") else absolute(src, base)))
    return found


def image_urls(doc: BeautifulSoup, issue: Issue) -> list[str]:
    """The URLs the images cleaner will ask the store for, in order, each once."""
    return list(dict.fromkeys(url for _, url in _images_with_urls(doc, issue)))
