"""Content images point at their local copies.

The downloads themselves happen outside the chain, in the run's ImageStore (shared by every
issue, so an image used by ten issues is fetched once, and kept in the parent process when the
cleaning runs in worker processes). This cleaner asks for the image URLs (`asks`) and, given
the answers the run put on the issue, points each image at its copy. An image that could not be
fetched keeps its remote URL and is listed as a failure of its issue; the run goes on.

A relative image of a body read from a local source (a `buttondown pull` folder's
`../media/<file>`) is read from the source itself (see local_images.py), and stored the same way.
The page's social image (`images` in its front matter, from the source) is stored like the rest.
"""
from __future__ import annotations

from bs4 import BeautifulSoup

from ..dom import attr_text, elements
from ..errors import NotConfigured
from ..local_images import LOCAL_PREFIX, is_relative_reference, local_reference
from ..record import DATA_URL_SHOWN, LOCAL_SHOWN, ImageResult, Issue, image_failure_text
from ..urls import absolute
from .base import CleanContext, Cleaner, register


@register
class Images(Cleaner):
    name = "images"
    answers_key = "images"
    is_document = True  # its warnings come in two rounds (refused names, then each image's outcome)

    @classmethod
    def from_config(cls, options: dict, context: CleanContext) -> "Images":
        if not context.download_images:
            raise NotConfigured("images are not downloaded in this run")
        return cls(context, **options)

    def asks(self, doc: BeautifulSoup, issue: Issue) -> list[str]:
        """The URLs to download, in order, each once."""
        return list(dict.fromkeys([*(url for _, url in _images_with_urls(doc, issue)), *_social_images(issue)]))

    def clean(self, doc: BeautifulSoup, issue: Issue) -> None:
        answers = issue.answers.get(self.answers_key)
        self._social_images(issue, answers)
        for img in elements(doc, {"img"}):
            if attr_text(img, "src").lower().startswith(LOCAL_PREFIX):
                issue.warnings.append(f"an image whose address is {attr_text(img, 'src')[:80]!r} was dropped: only the "
                                      "tool names files of the source that way")
                img.decompose()
        for img, url in _images_with_urls(doc, issue):
            shown = _shown(url)
            answer = answers.get(url) if answers is not None else None
            if answer is None:  # nothing was downloaded (a dry run): just name the image
                issue.images.append(ImageResult(url=shown))
            elif isinstance(answer, str):  # the reason it failed
                issue.images.append(ImageResult(url=shown, error=answer))
                issue.failures.append(image_failure_text(shown, answer))
                if url.startswith("data:"):
                    img.decompose()
                elif not url.startswith(LOCAL_PREFIX):
                    img["src"] = url
            else:
                img["src"] = answer.url
                issue.images.append(ImageResult(url=shown, local=None if getattr(answer, "pending", False) else answer.url,
                                                file=answer.file, archive=answer.archived))
                if answer.note:
                    issue.warnings.append(f"image {shown}: {answer.note}")


    def _social_images(self, issue: Issue, answers: dict | None) -> None:
        """The front matter's `images` (the page's picture for link previews) at their local copies;
        one that could not be stored stays remote, named in a warning (the body is whole without it)."""
        stored = []
        for url in _social_images(issue):
            answer = answers.get(url) if answers is not None else None
            if answer is None or isinstance(answer, str):
                stored.append(url)
                if isinstance(answer, str):
                    issue.warnings.append(f"its social image {url} stayed remote: {answer}")
            else:
                stored.append(answer.url)
                issue.images.append(ImageResult(url=url, local=answer.url, file=answer.file, archive=answer.archived))
        if stored:
            issue.params["images"] = stored


def _shown(url: str) -> str:
    if url.startswith("data:"):
        return DATA_URL_SHOWN
    if url.startswith(LOCAL_PREFIX):
        return url[len(LOCAL_PREFIX):] + LOCAL_SHOWN
    return url


def _social_images(issue: Issue) -> list[str]:
    images = issue.params.get("images")
    return [url for url in images if isinstance(url, str) and url.startswith(("http://", "https://"))] if isinstance(images, list) else []


def _images_with_urls(doc: BeautifulSoup, issue: Issue) -> list:
    """Each image of the body with the absolute URL to fetch (or the file of the local source it
    names); images without a source go."""
    base = issue.old_urls[0] if issue.old_urls else None
    found = []
    for img in elements(doc, {"img"}):
        src = attr_text(img, "src")
        if not src:
            img.decompose()
            continue
        if src.startswith("data:"):
            found.append((img, src))
        elif src.lower().startswith(LOCAL_PREFIX):
            continue  # only this cleaner names a file of the source; a body that does is ignored
        elif issue.local_file and is_relative_reference(src):
            found.append((img, local_reference(src, issue.local_file) or _outside(src)))
        else:
            found.append((img, absolute(src, base)))
    return found


def _outside(src: str) -> str:
    """What is asked for a relative image that climbs out of the source: a reference that can
    only fail, with the reason (nothing outside the source is ever read)."""
    return LOCAL_PREFIX + "../" + src.lstrip("./")
