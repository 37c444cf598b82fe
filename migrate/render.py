"""Cleaning and converting issues: in this process, or spread over worker processes.

Parsing, cleaning and converting are pure Python and hold the GIL, so threads cannot spread them
over cores. Once a run has more than a handful of issues, the Renderer starts worker processes
(one per core by default). Each issue's work is split at the first cleaner that needs what only
the run knows (see Cleaner.asks): the downloaded images, the other issues' new paths.

    prepare (worker):  parse, run the cleaners before that point, collect their questions
    answer  (here):    download the images through the run's ImageStore (an image several
                       issues use is fetched once), look the links up in the IssueRegistry
    finish  (worker):  the remaining cleaners with the answers, sentences, Markdown, front matter

An issue that links to an issue of the archive the run has not reached yet is deferred: its
prepared body waits in a spool on disk and is finished once every issue is known. Small runs
(the tests, a single page) never start a process.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import sqlite3
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .assets import ImageStore
from .cleaners import CleanContext, build_chain, load_checked
from .cleaners.walk import Plan
from .dom import flattened, flattened_warning, parse_html
from .converters import break_sentences, front_matter_fields, render_document, to_markdown
from .dom import html_of
from .mappings import Mappings
from .record import Issue
from .registry import IssueRegistry
from .troubles import about_the_machine

IN_PROCESS_ISSUES = 16  # issues rendered here before worker processes are worth their start-up


@dataclass(frozen=True)
class RenderSpec:
    """Everything needed to rebuild the cleaning chain and the converter, in any process."""

    mappings_dir: str | None
    platform: str
    embeds: str = "link"
    sentence_per_line: bool = False
    date_format: str = "date"
    images: bool = True         # images are stored locally (the `images` cleaner is on; a dry run only names them)


@dataclass
class Prepared:
    """An issue between its two halves: its body cleaned so far (the tree itself in this process,
    its HTML when it crosses to another process or waits on disk), and the questions asked."""

    issue: Issue
    cleaned: object   # BeautifulSoup or str
    asks: dict[str, list]

    def __getstate__(self) -> dict:
        return {**self.__dict__, "cleaned": self.cleaned if isinstance(self.cleaned, str) else html_of(self.cleaned)}


def document_of(issue: Issue) -> BeautifulSoup:
    """The issue's body as a tree: the one its fetcher parsed (and bounded in depth, saying so),
    else a parse of its HTML, with nesting too deep flattened and named in a warning."""
    parsed = issue.take_parsed()
    if parsed is not None:
        return parsed
    doc = parse_html(issue.html)
    if flattened(doc):
        issue.warnings.append(flattened_warning(flattened(doc)))
    return doc


class Chain:
    """The cleaning chain of a spec, split at the first cleaner that asks the run something. Each
    half is a Plan: one walk over the tree for each stretch of per-element cleaners."""

    def __init__(self, spec: RenderSpec, mappings: Mappings):
        self.spec = spec
        context = CleanContext(mappings, mappings.platform(spec.platform),
                               download_images=spec.images, embeds=spec.embeds)
        cleaners = build_chain(mappings, context)
        split = next((i for i, c in enumerate(cleaners) if c.answers_key), len(cleaners))
        self.before, self.after = Plan(cleaners[:split]), Plan(cleaners[split:])
        self.asking = [c for c in cleaners[split:] if c.answers_key]

    def prepare(self, issue: Issue, keep_tree: bool = True) -> Prepared:
        doc = document_of(issue)
        self.before.run(doc, issue)
        asks = {c.answers_key: c.asks(doc, issue) for c in self.asking}
        return Prepared(issue, doc if keep_tree else html_of(doc), asks)

    def finish(self, issue: Issue, cleaned) -> tuple[Issue, str]:
        doc = parse_html(cleaned) if isinstance(cleaned, str) else cleaned
        self.after.run(doc, issue)
        if self.spec.sentence_per_line:
            break_sentences(doc)
        issue.markdown = to_markdown(doc)
        if not issue.markdown:
            issue.warnings.append("has no content after cleaning")
        issue.answers = {}
        return issue, render_document(front_matter_fields(issue, self.spec.date_format), issue.markdown)

    def render(self, issue: Issue) -> tuple[Issue, str]:
        """Both halves in this process, with nothing asked answered (no images, no links)."""
        prepared = self.prepare(issue)
        return self.finish(prepared.issue, prepared.cleaned)


# ---------------------------------------------------------------------- inside a worker process

_worker_chain: Chain | None = None


def _start_worker(spec: RenderSpec) -> None:
    global _worker_chain
    # Ctrl-C at a terminal reaches every process of the run; the parent alone decides what it
    # means (finish what is in flight, then stop), so a worker never dies of it mid-issue.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_chain = Chain(spec, load_checked(Path(spec.mappings_dir) if spec.mappings_dir else None, platforms=[spec.platform]))


def _prepare(issue: Issue) -> Prepared:
    return _worker_chain.prepare(issue, keep_tree=False)


def _finish(issue: Issue, cleaned: str) -> tuple[Issue, str]:
    return _worker_chain.finish(issue, cleaned)


# ---------------------------------------------------------------------- the renderer

class DeferredSpool:
    """Prepared issues waiting for the rest of the archive, kept on disk, not in memory.

    They live in SQLite's private temporary database (the empty name), which SQLite deletes
    itself: a run that is killed leaves no spool of pickled issues behind."""

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def put(self, prepared: Prepared) -> None:
        data = pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._db is None:
                self._db = sqlite3.connect("", check_same_thread=False)
                self._db.execute("PRAGMA journal_mode=OFF")
                self._db.execute("CREATE TABLE waiting (id INTEGER PRIMARY KEY, position INTEGER, prepared BLOB)")
            self._db.execute("INSERT INTO waiting (position, prepared) VALUES (?, ?)", (prepared.issue.order, data))

    def drain(self):
        """The waiting issues in source order, each removed from disk as it is handed out."""
        with self._lock:
            if self._db is None:
                return
            ids = [row_id for (row_id,) in self._db.execute("SELECT id FROM waiting ORDER BY position, id")]
        for row_id in ids:
            with self._lock:
                (data,) = self._db.execute("SELECT prepared FROM waiting WHERE id = ?", (row_id,)).fetchone()
                self._db.execute("DELETE FROM waiting WHERE id = ?", (row_id,))
            yield pickle.loads(data)
        self.discard()

    def discard(self) -> None:
        """Drop what still waits: a run that stops early leaves no spool behind."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class Renderer:
    def __init__(self, spec: RenderSpec, mappings: Mappings, images: ImageStore | None,
                 registry: IssueRegistry | None, processes: int):
        self.spec = spec
        self.images = images
        self.registry = registry
        self.processes = processes
        self.local = Chain(spec, mappings)
        self.deferred = DeferredSpool()
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._rendered = 0
        # Parsing, cleaning and converting in this process hold the GIL: more threads doing it at
        # once than there are cores only queue for the lock (and spend system time handing it
        # over), while the threads waiting on the network wait longer for their turn.
        self._cpu = threading.BoundedSemaphore(cores())

    def render(self, issue: Issue) -> tuple[Issue, str] | None:
        """The issue (updated by its cleaners) and the text of its content file; None when the
        issue waits for issues the run has not reached (see `finish_deferred`)."""
        pool = self._pool_for_next_issue()
        prepared = pool.submit(_prepare, issue).result() if pool else self._here(self.local.prepare, issue)
        if self.registry is not None and prepared.asks.get("links") and self.registry.waits(prepared.asks["links"]):
            self.deferred.put(prepared)
            return None
        return self._answer_and_finish(prepared, pool)

    def finish(self, prepared: Prepared) -> tuple[Issue, str]:
        """Finish a deferred issue, now that every issue of the archive is known."""
        return self._answer_and_finish(prepared, self._pool, last_call=True)

    def _answer_and_finish(self, prepared: Prepared, pool, last_call: bool = False) -> tuple[Issue, str]:
        issue, asks = prepared.issue, prepared.asks
        if "links" in asks and self.registry is not None:
            answers, missing = self.registry.answer(asks["links"])
            issue.answers["links"] = answers
            if last_call:
                for issue_id in sorted(missing):
                    issue.warnings.append(f"links to issue {issue_id} of this newsletter, which is not in the archive; the link is left as it was")
        if "images" in asks and self.images is not None:
            issue.answers["images"] = self._download(asks["images"])
        return pool.submit(_finish, issue, prepared.cleaned).result() if pool else self._here(self.local.finish, issue, prepared.cleaned)

    def _download(self, urls: list[str]) -> dict:
        """Each URL's stored image, or the one-line reason it could not be stored."""
        futures = [(url, self.images.fetch(url)) for url in urls]
        answers: dict = {}
        for url, future in futures:
            try:
                answers[url] = future.result()
            except Exception as exc:  # every failure of an image is reported; only the disk's ends the run
                if about_the_machine(exc):
                    raise
                answers[url] = str(exc) or type(exc).__name__
        return answers

    def offload(self, function, *args):
        """Run a picklable function in a worker process once the run has them, else here."""
        pool = self._pool
        return pool.submit(function, *args).result() if pool is not None else self._here(function, *args)

    def _here(self, function, *args):
        """Work that holds the GIL, in this process: at most one thread per core at a time."""
        with self._cpu:
            return function(*args)

    def _pool_for_next_issue(self) -> ProcessPoolExecutor | None:
        with self._lock:
            self._rendered += 1
            if self.processes < 1 or self._rendered <= IN_PROCESS_ISSUES:
                return None
            if self._pool is None:
                # spawn: workers start from a clean interpreter, not a fork of this threaded
                # process, and are this process's own children, so closing the pool reaps them
                # (a fork server would be one more process, left for init to reap).
                self._pool = ProcessPoolExecutor(max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_start_worker, initargs=(self.spec,))
            return self._pool

    def close(self) -> None:
        """Stop and reap every process this renderer started: its workers, and the resource
        tracker multiprocessing starts beside them (which would otherwise outlive the run, for
        init to reap)."""
        self.deferred.discard()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
            gc.collect()  # the pool's semaphores unregister themselves with the tracker first
            _stop_resource_tracker()


def _stop_resource_tracker() -> None:
    """Stop multiprocessing's resource tracker and wait for it. There is no public call for it;
    `_stop` (there since Python 3.8) closes the pipe that keeps it alive and reaps it."""
    from multiprocessing import resource_tracker

    tracker = getattr(resource_tracker, "_resource_tracker", None)
    stop = getattr(tracker, "_stop", None)
    if stop is not None:
        stop()


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def default_processes() -> int:
    """One worker per core, when there is more than one core to spread over."""
    count = cores()
    return count if count > 1 else 0
