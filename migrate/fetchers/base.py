"""What every fetcher is: a source in, a stream of issues (or of problems with entries) out."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable, ClassVar, Iterator

from ..errors import UserError, did_you_mean
from ..http import HttpClient
from ..mappings import Mappings, PlatformMapping
from ..record import Issue, SourceProblem, Unchanged
from ..state import Validators

FETCHERS: dict[str, type["Fetcher"]] = {}


def register(cls: type["Fetcher"]) -> type["Fetcher"]:
    FETCHERS[cls.name] = cls
    return cls


class NoValidators:
    """Stands in for the state store's validators when there is no state (a dry run)."""

    def validators(self, url: str) -> Validators:
        return Validators()

    def set_validators(self, url: str, validators: Validators) -> None:
        pass


class ReadOnlyValidators(NoValidators):
    """The state's validators, read but never changed (a dry run must not move the state)."""

    def __init__(self, state) -> None:
        self._state = state

    def validators(self, url: str) -> Validators:
        return self._state.validators(url)


@dataclass
class FetchContext:
    client: HttpClient
    mappings: Mappings
    concurrency: int = 8
    options: dict = field(default_factory=dict)  # platform options from the run config (profile, ...)
    # Re-sync: documents unchanged since the last complete run may be skipped (yield Unchanged).
    conditional: bool = False
    cache: object = field(default_factory=NoValidators)  # validators(url) / set_validators(url, v)
    wants: Callable[[str], bool] = lambda ref: True      # retry-failed: only the documents it names
    # Runs pure parsing work (picklable function and arguments), in a worker process when the
    # run has them; called from fetch threads.
    offload: Callable = lambda function, *args: function(*args)
    # Told how many entries the source holds (the progress bar's total); None when nobody asks.
    on_total: Callable[[int], None] | None = None

    def expect(self, total: "int | Callable[[], int]") -> None:
        """Say how many entries the source holds, as soon as the fetcher knows: a count, or a
        function that counts (called only when someone is listening, as counting may cost a pass)."""
        if self.on_total is not None:
            self.on_total(total() if callable(total) else total)

    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for a document seen by the last complete run."""
        if not self.conditional:
            return {}
        known = self.cache.validators(url)
        headers = {}
        if known.etag:
            headers["If-None-Match"] = known.etag
        if known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        return headers

    def remember(self, url: str, headers: dict | None = None, body_hash: str | None = None) -> None:
        headers = headers or {}
        self.cache.set_validators(url, Validators(headers.get("ETag"), headers.get("Last-Modified"), body_hash))

    def unchanged_body(self, url: str, body_hash: str) -> bool:
        """Whether a document's bytes are the ones the last complete run saw."""
        return self.conditional and self.cache.validators(url).body_hash == body_hash

    def unchanged_else_remember(self, url: str, body_hash: str, headers: dict | None = None) -> bool:
        """`unchanged_body`; when the bytes are new, their hash (and the answer's validators) are
        kept for the next run."""
        if self.unchanged_body(url, body_hash):
            return True
        self.remember(url, headers, body_hash)
        return False

    def platform(self, name: str) -> PlatformMapping:
        return self.mappings.platform(name)


class Fetcher(ABC):
    """Reads one source and yields its issues in the source's order.

    A fetcher streams: it yields each issue as soon as it has it and never holds the whole
    archive. An entry it cannot read becomes a SourceProblem with the reason, never an exception
    that ends the run; a source it cannot open at all raises UserError.
    """

    name: ClassVar[str]
    platform: ClassVar[str]
    help: ClassVar[str] = ""
    # The options this fetcher reads from context.options (`--platform-option NAME=VALUE`, or
    # `platform_options:` in the config): name -> what it does. Any other name is refused.
    platform_options: ClassVar[dict[str, str]] = {}

    @classmethod
    def check_source(cls, source: str) -> None:
        """Refuse a source that cannot be read at all (UserError), before the run writes anything."""

    @classmethod
    def check_options(cls, options: dict[str, str]) -> None:
        """Refuse a platform option's value that cannot work (UserError), before the run writes anything."""

    @classmethod
    def default_source(cls) -> str | None:
        """The source to read when --source is not given (an API's address), or None: required."""
        return None

    @staticmethod
    def issue_ref(url: str) -> tuple[str, str | None] | None:
        """The issue id (and profile name) an old URL or path of this platform names, or None: how
        the run recognises links between issues. The id may be the one the URL states rather than
        the source's (a slug), since the run knows each issue by the ids its old paths name too."""
        return None

    # The platform's own hosts (each with its subdomains) where an address names one issue across
    # the whole platform, whatever newsletter it is (a campaign's id, a short link's code): a link
    # on any of them is another issue of this newsletter's when `issue_ref` names an issue the run
    # knows, not only on the host the source stated. The registry explains the rest.
    issue_hosts: ClassVar[tuple[str, ...]] = ()

    # What an issue the last run wrote means when this source no longer gives it:
    # - "archive": the source is the whole archive, whatever file or URL holds it (an export
    #   downloaded again under another name, an API): the issue is gone from the platform.
    # - "selection": the source holds what the user picked (saved pages): gone only from a
    #   source read again under the same name.
    # - "window": the source shows part of the archive only (a feed's latest items, what an
    #   archive happened to capture): its absence says nothing.
    listing: ClassVar[str] = "selection"

    # How a local source of this platform's shows itself (see migrate/sources.py): file names a
    # folder or zip holds (`files`, any of them, `*` a wildcard) or keys every entry of a saved
    # JSON listing has (`json_keys`, all of them). A wrong --platform is then named in one sentence.
    source_signs: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init__(self, source: str, context: FetchContext):
        self.source = source
        self.context = context
        self.mapping = context.platform(self.platform)

    @abstractmethod
    def entries(self) -> Iterator[Issue | SourceProblem | Unchanged]:
        """Yield issues, problems with entries that could not become issues, and (on a re-sync)
        the documents that have not changed."""


# The one way every platform spells what happens to unsent issues (`--platform-option drafts=`).
DRAFTS_OPTION = "keep (default): unsent issues are written with `draft: true`; skip: they are left out, each named in the report"


def keeps_drafts(options: dict) -> bool:
    """Whether unsent issues are written (as drafts), by the `drafts` option; any value but keep or
    skip is a UserError (call it from check_options, before anything is written)."""
    value = (options.get("drafts") or "keep").strip().lower()
    if value not in ("keep", "skip"):
        raise UserError(f"--platform-option drafts={value} is not a choice; use drafts=keep or drafts=skip.")
    return value == "keep"


# The one way every platform that marks issues for part of its readers (paid subscribers, free
# ones, lapsed ones) spells which of those are published anyway (`--platform-option publish_audiences=`).
AUDIENCES_OPTION = ("audiences whose issues are published, comma-separated; by default an issue that was only for "
                    "part of the readers ({}) is written with `draft: true` and its `audience:`")


def published_audiences(options: dict, known: tuple[str, ...]) -> frozenset[str]:
    """The audiences `publish_audiences` names; a name the platform does not know is a UserError
    (call it from check_options, before anything is written)."""
    names = frozenset(filter(None, (a.strip().lower() for a in (options.get("publish_audiences") or "").split(","))))
    for name in sorted(names - set(known)):
        fix = did_you_mean(name, known) or f"use {', '.join(known)}."
        raise UserError(f"--platform-option publish_audiences={name} is not an audience of this platform's; {fix}")
    return names


def hold_for_audience(issue: Issue, audience: str, published: frozenset[str]) -> None:
    """Mark an issue that was only for part of the readers: its audience goes in the front matter,
    and unless the run publishes that audience on purpose it is written as a draft, with no alias
    (its old page showed a paywall or nothing at all), and counted in the summary."""
    issue.params["audience"] = audience
    if audience not in published:
        issue.draft = True
        issue.held_for = audience


def prefetch_in_order(items, work, workers: int, window: int | None = None):
    """Run `work` on each item with `workers` threads, yielding (item, result or exception) in
    the items' order, with at most `window` results pending so memory stays bounded."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    window = window or workers * 2
    pending: deque = deque()

    def settle(future):
        try:
            return future.result()
        except Exception as exc:  # handed to the caller, which turns it into a SourceProblem
            return exc

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fetch") as pool:
        for item in items:
            pending.append((item, pool.submit(work, item)))
            if len(pending) >= window:
                done_item, future = pending.popleft()
                yield done_item, settle(future)
        while pending:
            done_item, future = pending.popleft()
            yield done_item, settle(future)
