"""The seam between archives of pages and the platform parsers that read them.

A fetcher that can read one page given its HTML and its URL says so by subclassing `ReadsPages`
and returning, from `page_reader()`, the function that does it:

    reader(data: bytes, ref: str, order: int, page_url: str) -> Issue | SourceProblem

`page_url` is the page's own URL (not an archive's), to resolve its links against and to take
its old path from. The function must be picklable (plain data in, plain data out) so a run can
hand it to a worker process, and it must refuse, with a SourceProblem, a page that is not one
of its platform's issue pages: an archive keeps error pages, notices and listings under the
same URLs as the issues.

The `wayback` fetcher finds its parser by name (`--platform-option pages=NAME`) or by the host
the pages were captured from, matched against the `hosts:` of each parser's platform mapping.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable, Union

from ..mappings import Mappings
from ..record import Issue, SourceProblem
from ..urls import host_matches
from .base import FETCHERS, Fetcher

PageReader = Callable[[bytes, str, int, str], Union[Issue, SourceProblem]]


class ReadsPages(ABC):
    """A fetcher whose platform's issue pages can be read one at a time, from anywhere."""

    @abstractmethod
    def page_reader(self) -> PageReader:
        """The picklable function that reads one page into an issue (see the module's doc)."""


def page_fetchers() -> dict[str, type[Fetcher]]:
    """The registered fetchers that read pages, by --platform name."""
    from . import platform_names

    return {name: FETCHERS[name] for name in platform_names() if issubclass(FETCHERS[name], ReadsPages)}


def page_fetcher_for_host(host: str, mappings: Mappings) -> str | None:
    """The one page-reading fetcher whose platform served pages from `host`, if exactly one does."""
    found = [name for name, cls in page_fetchers().items()
             if cls.platform in mappings.platforms and host_matches(host, mappings.platforms[cls.platform].hosts)]
    return found[0] if len(found) == 1 else None
