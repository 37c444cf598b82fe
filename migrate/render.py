"""Cleaning and converting issues: in this process, or spread over worker processes.

Parsing, cleaning and converting are pure Python and hold the GIL, so threads cannot spread them
over cores. Once a run has more than a handful of issues, the Renderer starts worker processes
(one per core by default) and splits each issue's work around its image downloads, which stay in
this process's threads so that an image several issues use is still fetched once per run:

    worker:  parse, run the cleaners before `images`, list the image URLs  -> cleaned HTML
    here:    download the images through the run's ImageStore
    worker:  parse the cleaned HTML, run `images` (with those results) and any cleaner after
             it, split sentences, convert, add the front matter              -> the file's text

Small runs (the tests, a single page) never start a process.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

from .assets import ImageStore, StoredImage
from .cleaners import CleanContext, build_chain
from .cleaners.images import image_urls
from .converters import break_sentences, front_matter_fields, render_document, to_markdown
from .http import FetchError
from .mappings import Mappings, load_mappings
from .record import ImageResult, Issue

IN_PROCESS_ISSUES = 16  # issues rendered here before worker processes are worth their start-up


@dataclass(frozen=True)
class RenderSpec:
    """Everything needed to rebuild the cleaning chain and the converter, in any process."""

    mappings_dir: str | None
    platform: str
    embeds: str = "link"
    sentence_per_line: bool = False
    date_format: str = "date"
    images: bool = True         # download images (the `images` cleaner is on)
    list_images: bool = False   # a dry run: name the images, download none


class ResolvedImages:
    """An image store whose downloads already happened, in the parent process."""

    def __init__(self, results: dict[str, StoredImage | FetchError]):
        self.results = results

    def fetch(self, url: str) -> Future:
        future: Future = Future()
        result = self.results.get(url, FetchError("was not downloaded"))
        if isinstance(result, Exception):
            future.set_exception(result)
        else:
            future.set_result(result)
        return future


class _Chain:
    """The cleaning chain of a spec, split at the `images` cleaner."""

    def __init__(self, spec: RenderSpec, mappings: Mappings, images: object | None):
        self.spec = spec
        self.context = CleanContext(mappings, mappings.platform(spec.platform), images=images, embeds=spec.embeds)
        cleaners = build_chain(mappings, self.context, set() if spec.images else {"images"})
        names = [c.name for c in cleaners]
        split = names.index("images") if "images" in names else len(cleaners)
        self.before, self.after = cleaners[:split], cleaners[split:]

    def prepare(self, issue: Issue) -> BeautifulSoup:
        doc = BeautifulSoup(issue.html, "lxml")
        for cleaner in self.before:
            cleaner.clean(doc, issue)
        return doc

    def finish(self, doc: BeautifulSoup, issue: Issue) -> str:
        for cleaner in self.after:
            cleaner.clean(doc, issue)
        if self.spec.list_images:
            issue.images = [ImageResult(url=url) for url in image_urls(doc, issue)]
        if self.spec.sentence_per_line:
            break_sentences(doc)
        issue.markdown = to_markdown(doc)
        if not issue.markdown:
            issue.warnings.append("has no content after cleaning")
        return render_document(front_matter_fields(issue, self.spec.date_format), issue.markdown)


# ---------------------------------------------------------------------- inside a worker process

_worker_chain: _Chain | None = None


def _start_worker(spec: RenderSpec) -> None:
    global _worker_chain
    mappings = load_mappings(Path(spec.mappings_dir) if spec.mappings_dir else None)
    _worker_chain = _Chain(spec, mappings, ResolvedImages({}))


def _prepare(issue: Issue) -> tuple[Issue, str, list[str]]:
    doc = _worker_chain.prepare(issue)
    urls = image_urls(doc, issue) if _worker_chain.spec.images else []
    return issue, str(doc), urls


def _finish(issue: Issue, cleaned: str, results: dict) -> tuple[Issue, str]:
    _worker_chain.context.images = ResolvedImages(results)
    text = _worker_chain.finish(BeautifulSoup(cleaned, "lxml"), issue)
    return issue, text


# ---------------------------------------------------------------------- the renderer

class Renderer:
    def __init__(self, spec: RenderSpec, mappings: Mappings, images: ImageStore | None, processes: int):
        self.spec = spec
        self.images = images
        self.processes = processes
        self.local = _Chain(spec, mappings, images)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._rendered = 0

    def render(self, issue: Issue) -> tuple[Issue, str]:
        """The issue (updated by its cleaners) and the text of its content file."""
        pool = self._pool_for_next_issue()
        if pool is None:
            return issue, self.local.finish(self.local.prepare(issue), issue)
        issue, cleaned, urls = pool.submit(_prepare, issue).result()
        results: dict = {}
        for url, future in [(url, self.images.fetch(url)) for url in urls]:
            try:
                results[url] = future.result()
            except FetchError as exc:
                results[url] = FetchError(str(exc))
            except Exception as exc:  # reported as the image's failure, like any other
                results[url] = FetchError(f"{type(exc).__name__}: {exc}")
        return pool.submit(_finish, issue, cleaned, results).result()

    def _pool_for_next_issue(self) -> ProcessPoolExecutor | None:
        with self._lock:
            self._rendered += 1
            if self.processes < 2 or self._rendered <= IN_PROCESS_ISSUES:
                return None
            if self._pool is None:
                # forkserver: workers start from a clean process, not a fork of this threaded one.
                method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
                self._pool = ProcessPoolExecutor(max_workers=self.processes, mp_context=multiprocessing.get_context(method),
                                                 initializer=_start_worker, initargs=(self.spec,))
            return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def default_processes() -> int:
    """One worker per core, when there is more than one core to spread over."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if cores > 1 else 0
