"""What every fetcher is: a source in, a stream of issues (or of problems with entries) out."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Iterator

from ..http import HttpClient
from ..mappings import Mappings, PlatformMapping
from ..record import Issue, SourceProblem

FETCHERS: dict[str, type["Fetcher"]] = {}


def register(cls: type["Fetcher"]) -> type["Fetcher"]:
    FETCHERS[cls.name] = cls
    return cls


@dataclass
class FetchContext:
    client: HttpClient
    mappings: Mappings
    concurrency: int = 8
    options: dict = field(default_factory=dict)  # platform options from the run config (profile, ...)

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

    def __init__(self, source: str, context: FetchContext):
        self.source = source
        self.context = context
        self.mapping = context.platform(self.platform)

    @abstractmethod
    def entries(self) -> Iterator[Issue | SourceProblem]:
        """Yield issues, and problems with entries that could not become issues."""


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
