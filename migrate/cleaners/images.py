"""Content images point at their local copies.

The downloads themselves happen outside the chain, in the run's ImageStore (shared by every
issue, so an image used by ten issues is fetched once, and kept in the parent process when the
cleaning runs in worker processes). This cleaner asks for the image URLs (`asks`) and, given
the answers the run put on the issue, points each image at its copy. An image that could not be
fetched keeps its remote URL and is listed as a failure of its issue; the run goes on.
"""
from __future__ import annotations

from bs4 import BeautifulSoup, Tag

from ..dom import attr_text, elements
from ..errors import NotConfigured
from ..record import ImageResult, Issue
from ..urls import absolute
from .base import CleanContext, Cleaner, Walk, register


@register
class Images(Cleaner):
    name = "images"
    answers_key = "images"
    tags = frozenset({"img"})

    @classmethod
    def from_config(cls, options: dict, context: CleanContext) -> "Images":
        if not context.download_images:
            raise NotConfigured("images are not downloaded in this run")
        return cls(context, **options)

    def asks(self, doc: BeautifulSoup, issue: Issue) -> list[str]:
        """The URLs to download, in order, each once."""
        return list(dict.fromkeys(url for _, url in _images_with_urls(doc, issue)))

    def visit(self, img: Tag, walk: Walk):
        issue = walk.issue
        url = _url_of(img, issue)
        if url is None:
            img.decompose()
            return None
        answers = issue.answers.get(self.answers_key)
        shown = url if not url.startswith("data:") else "data: URL"
        answer = answers.get(url) if answers is not None else None
        if answer is None:  # nothing was downloaded (a dry run): just name the image
            issue.images.append(ImageResult(url=shown))
        elif isinstance(answer, str):  # the reason it failed
            issue.images.append(ImageResult(url=shown, error=answer))
            if url.startswith("data:"):
                issue.failures.append(f"an inline (data:) image was dropped: {answer}")
                img.decompose()
            else:
                issue.failures.append(f"image {shown} stayed remote: {answer}")
                img["src"] = url
        else:
            img["src"] = answer.url
            issue.images.append(ImageResult(url=shown, local=answer.url, file=answer.file, archive=answer.archived))
        return None


def _url_of(img: Tag, issue: Issue) -> str | None:
    """The absolute URL to fetch for an image, or None when it has no source."""
    src = attr_text(img, "src")
    if not src:
        return None
    return src if src.startswith("data:") else absolute(src, issue.old_urls[0] if issue.old_urls else None)


def _images_with_urls(doc: BeautifulSoup, issue: Issue) -> list:
    """Each image of the body with the absolute URL to fetch; images without a source go."""
    found = []
    for img in elements(doc, {"img"}):
        url = _url_of(img, issue)
        if url is None:
            img.decompose()
            continue
        found.append((img, url))
    return found
