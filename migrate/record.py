"""The one record every stage passes on: an issue, from what a fetcher read to what the writer wrote."""
from __future__ import annotations

import datetime as dt
from typing import Any
from dataclasses import dataclass, field

from .urls import BadOldPath, old_path


@dataclass(frozen=True)
class OldPath:
    """A path the issue was reachable at on the old platform.

    `inferred` marks a path rebuilt from the title and id because the source did not state it;
    the report shows those so the author can confirm them.
    """

    path: str
    inferred: bool = False


@dataclass
class ImageResult:
    """What became of one image of an issue."""

    url: str                     # as it appeared in the issue
    local: str | None = None     # site-relative URL of the local copy, when it was stored
    file: str | None = None      # path of the stored file, relative to the site folder
    error: str | None = None     # why it stayed remote
    archive: str | None = None   # the archived copy it was taken from, when its own host failed


DATA_URL_SHOWN = "data: URL"  # how an inline image is named in the report (its bytes would swamp it)
LOCAL_SHOWN = " (in the source)"  # after the path of an image read from the source folder itself


def image_failure_text(shown_url: str, reason: str) -> str:
    """How an issue's failures name an image that could not be stored."""
    if shown_url == DATA_URL_SHOWN:
        return f"an inline (data:) image was dropped: {reason}"
    if shown_url.endswith(LOCAL_SHOWN):
        return f"image {shown_url} could not be stored: {reason}"
    return f"image {shown_url} stayed remote: {reason}"


@dataclass
class Issue:
    """One newsletter issue.

    Fetchers fill the source fields (`html` is the issue's body); overrides may correct them;
    cleaners work on the parsed body and record images and counts; the converter fills
    `markdown`; the pipeline decides `output_path`. Every field is plain data, so an issue can
    be handed to another process.
    """

    platform: str
    source_id: str
    html: str
    title: str | None = None
    date: dt.datetime | dt.date | None = None
    number: int | None = None
    description: str | None = None
    draft: bool = False
    slug: str | None = None
    date_hint: str | None = None     # what the source tells of a date it does not state
    old_urls: list[str] = field(default_factory=list)
    old_paths: list[OldPath] = field(default_factory=list)
    source_ref: str = ""
    # Where a local source (a folder or zip) holds the body, as a path inside it: a relative image
    # of the body is read from beside it there (a `buttondown pull` folder's `../media/<file>`).
    local_file: str | None = None
    source_hash: str | None = None   # SHA-256 of what the source held for this issue
    order: int = 0
    skip_reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    # Fields the source did not give that the author must supply with an override: name -> what
    # the source tells of it.
    needs: dict[str, str] = field(default_factory=dict)

    # Site URLs the issue had before its output path changed; they become aliases too.
    previous_urls: list[str] = field(default_factory=list)
    # Front matter fields of the platform's own (a Substack post's `audience`), written after the
    # standard ones and never replacing them.
    params: dict = field(default_factory=dict)
    # The audience (paid subscribers, ...) an issue was only for, when that made it a draft: the
    # summary counts these, so nothing paid-only reaches the public site unnoticed.
    held_for: str | None = None

    # Filled while the issue moves through the stages.
    images: list[ImageResult] = field(default_factory=list)
    tracking_removed: int = 0
    links_rewritten: int = 0
    # What the run answered to cleaners that asked (see Cleaner.asks): by the cleaner's key.
    answers: dict = field(default_factory=dict)
    markdown: str | None = None
    output_path: str | None = None
    # The body already parsed by the fetcher (a document holding `html`'s tree), handed to the
    # cleaners in this process instead of parsing `html` again. Never pickled: another process
    # parses `html`.
    parsed: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["parsed"] = None
        return state

    def take_parsed(self):
        """The parsed body, once: whoever takes it owns (and changes) it."""
        parsed, self.parsed = self.parsed, None
        return parsed

    def add_old_path(self, path: str, inferred: bool = False) -> None:
        """Record an old path once, in its one spelling (urls.old_path); a stated path replaces an
        inferred copy of itself. A path no server can serve is named in a warning instead."""
        try:
            path = old_path(path)
        except BadOldPath as exc:
            self.warnings.append(f"its old path {path!r} is not kept as an alias: {exc}, and no server can redirect it")
            return
        for i, known in enumerate(self.old_paths):
            if known.path == path:
                if known.inferred and not inferred:
                    self.old_paths[i] = OldPath(path, False)
                return
        self.old_paths.append(OldPath(path, inferred))


@dataclass
class SourceProblem:
    """An entry of the source that could not become an issue, and why."""

    source_ref: str
    reason: str
    order: int = 0
    source_id: str | None = None  # when the entry names its issue, a re-sync knows it still exists


@dataclass
class Unchanged:
    """A source document that has not changed since the last complete run (a 304, or the same
    bytes): the issues it holds need no work. `whole_source` covers every issue of the source."""

    source_ref: str
    whole_source: bool = False


@dataclass
class SourceNote:
    """What the author should know about the source as a whole (a feed holds only its latest
    items): reported as a warning of the run, changing nothing."""

    source_ref: str
    message: str
