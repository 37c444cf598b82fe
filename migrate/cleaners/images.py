"""Content images point at their local copies.

The downloads themselves happen outside the chain, in the run's ImageStore (shared by every
issue, so an image used by ten issues is fetched once, and kept in the parent process when the
cleaning runs in worker processes). This cleaner asks for the image URLs (`asks`) and, given
the answers the run put on the issue, points each image at its copy. An image that could not be
fetched keeps its remote URL and is listed as a failure of its issue; the run goes on.
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
    answers_key = "images"

    @classmethod
    def from_config(cls, options: dict, context: CleanContext) -> "Images":
        if not context.download_images:
            raise NotConfigured("images are not downloaded in this run")
        return cls(context, **options)

    def asks(self, doc: BeautifulSoup, issue: Issue) -> list[str]:
        """The URLs to download, in order, each once."""
        return list(dict.fromkeys(url for _, url in _images_with_urls(doc, issue)))

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        answers = issue.answers.get(self.answers_key)
        for img, url in _images_with_urls(doc, issue):
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
                if answer.note:
                    issue.warnings.append(f"image {shown}: {answer.note}")


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
