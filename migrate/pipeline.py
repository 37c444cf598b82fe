"""Migrations: the bulk run, the incremental re-sync, and the retry of failed images.

The fetcher streams issues in the source's order. The main thread applies overrides, claims each
issue's output path (so paths are decided in source order, the same on every run) and decides
whether the issue needs work; a worker then cleans, converts and writes it. At most a few issues
per worker are in flight, so memory does not grow with the archive.

- `run` processes every issue.
- `sync` processes only issues that are new or changed at the source, or were rendered with other
  settings, or whose images failed; documents the last complete run saw are asked for
  conditionally and skipped when unchanged.
- `retry-failed` processes only the issues whose images failed.
In every mode a file edited by hand is never overwritten (see writer.py) unless `force` is set.
"""
from __future__ import annotations

import enum
import hashlib
import html
import json
import logging
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import AbstractSet, Callable

from . import __version__
from .aliases import AliasGuard, Owner, page_key
from .attention import ToDo, issue_key, keep_report
from .config import RunOptions, megabytes
from .converters import PathLayout
from .errors import UserError, did_you_mean
from .fetchers import FetchContext, Fetcher, get_fetcher
from .fetchers.base import NoValidators, ReadOnlyValidators
from .files import inside, sweep_temporary_files
from .http import HttpClient, HttpSettings, _display
from .local_images import LocalFiles
from .mappings import Mappings, Problems, load_mappings
from .record import Issue, SourceNote, SourceProblem, Unchanged
from .registry import IssueRegistry
from .report import RunReport
from .runlock import RunLock
from .sources import check_platform_fits
from .failed_start import StartingPoint
from .report_page import write_report_page
from .starter import starter_for_run
from .state import STATE_PATH, IssueRow, StateStore
from .troubles import about_the_machine
from .urls import BadOldPath, url_key, without_credentials
from .writer import SiteWriter

log = logging.getLogger(__name__)


class Mode(enum.Enum):
    RUN = "run"
    SYNC = "sync"
    RETRY_FAILED = "retry-failed"


def apply_overrides(issue: Issue, mappings: Mappings, options: RunOptions) -> None:
    """Corrections from mappings/overrides and the config, by issue id or old URL."""
    overrides = mappings.overrides.for_issue(issue.source_id, issue.old_urls)
    overrides.update(options.overrides.for_issue(issue.source_id, issue.old_urls))
    if not overrides:
        return
    for name in ("title", "date", "number", "slug", "description", "draft"):
        if name in overrides:
            setattr(issue, name, overrides[name])
    for alias in overrides.get("aliases", []):
        issue.add_old_path(alias)
    if overrides.get("skip"):
        issue.skip_reason = "skipped by an override"


def _markup_in(text: str) -> list[str]:
    from .dom import markup_in  # here: a title without "<" holds no markup, and needs no parser

    return markup_in(text)


def note_gaps(issue: Issue) -> None:
    """Say what the source did not give (or gave strangely), instead of inventing it. A missing
    title or date is a field the author must fill in (the summary gives the override to paste);
    old paths rebuilt from the title are listed from the issue's old paths."""
    if issue.title and html.unescape(issue.title) != issue.title:
        issue.warnings.append(f"its title still holds an HTML entity after decoding once ({issue.title!r}): it was "
                              "probably escaped twice at the source; correct it with a title override")
    if not issue.title:
        issue.needs["title"] = "the source gives none"
    elif "<" in issue.title and _markup_in(issue.title):
        issue.warnings.append(f"its title holds markup ({issue.title!r}): it is written as text, but a theme that shows titles "
                              f"as HTML would run it; correct it with a title override")
    if issue.date is None and not issue.draft:
        issue.needs["date"] = issue.date_hint or "the source gives none"


def source_identity(source: str) -> str:
    """The same source, however it is written: a resolved path, or the URL without its fragment and
    without the credentials it may carry (they are used for requests, never kept)."""
    if source.startswith(("http://", "https://")):
        return url_key(without_credentials(source))
    return str(Path(source).resolve())


def check_platform_options(fetcher_class, given: dict[str, str]) -> None:
    known = fetcher_class.platform_options
    for name in sorted(given):
        if name not in known:
            offer = f"it has: {', '.join(sorted(known))}" if known else "it has none"
            fix = did_you_mean(name, known) or "remove it or check its spelling."
            raise UserError(f"{name!r} is not an option of --platform {fetcher_class.name} ({offer}); {fix}")
    fetcher_class.check_options(given)


def settings_fingerprint(options: RunOptions, mappings: Mappings) -> str:
    """What, besides the source, decides an issue's output: the tool's version, the mappings
    folder's files and the options that shape the Markdown. A change re-renders every issue."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(Path(mappings.root).rglob("*.yaml")):
        digest.update(str(path.relative_to(mappings.root)).encode() + b"\0" + path.read_bytes())
    shaping = {name: getattr(options, name) for name in (
        "platform", "section", "path_template", "number_width", "sentence_per_line", "date_format", "embeds",
        "download_images", "images_dir", "images_url", "profile", "old_hosts", "platform_options")}
    shaping["overrides"] = {k: {f: str(v) for f, v in sorted(fields.items())} for k, fields in sorted(options.overrides.by_key.items())}
    digest.update(json.dumps(shaping, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _validated_before(state_path: Path, options: RunOptions, mappings: Mappings) -> bool:
    """Whether the last complete run into this site had these very settings and mappings files
    (and this version of the tool): then they passed every check already."""
    if not state_path.is_file():
        return False
    import sqlite3

    try:
        with sqlite3.connect(f"file:{state_path}?mode=ro", uri=True) as db:
            rows = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('fingerprint', 'run_state')").fetchall())
    except sqlite3.Error:
        return False
    return rows.get("run_state") == "complete" and rows.get("fingerprint") == settings_fingerprint(options, mappings)


class CdnOriginals:
    """url -> the original an image CDN rendition of the platform wraps (see image_cdn), for the
    run's image store; the cleaner's module (and bs4 with it) is imported at the first image."""

    def __init__(self, platform):
        self.platform = platform
        self._find = None

    def __call__(self, url: str) -> str | None:
        if self._find is None:
            from .cleaners.image_cdn import cdn_originals

            self._find = cdn_originals(self.platform) or (lambda url: None)
        return self._find(url)


class LazyRenderer:
    """The run's Renderer, made when the first issue needs it, with the modules it needs (bs4,
    the cleaners, markdownify): a sync that finds nothing changed never imports them."""

    def __init__(self, spec: dict, mappings: Mappings, images, registry: IssueRegistry, processes: int | None):
        self._args = (spec, mappings, images, registry, processes)
        self._renderer = None
        self._lock = threading.Lock()

    def _get(self):
        with self._lock:
            if self._renderer is None:
                from .render import Renderer, RenderSpec, default_processes

                spec, mappings, images, registry, processes = self._args
                self._renderer = Renderer(RenderSpec(**spec), mappings, images, registry,
                                          default_processes() if processes is None else processes)
            return self._renderer

    def render(self, issue: Issue):
        return self._get().render(issue)

    def finish(self, prepared):
        return self._get().finish(prepared)

    def offload(self, function, *args):
        return self._get().offload(function, *args)

    def drain_deferred(self):
        return self._renderer.deferred.drain() if self._renderer is not None else iter(())

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()


@dataclass
class Migration:
    """One run over one source, with everything it shares between issues."""

    options: RunOptions
    mappings: Mappings
    client: HttpClient
    images: "ImageStore | None"
    layout: PathLayout
    state: StateStore | None
    fetcher: Fetcher
    mode: Mode = Mode.RUN
    force: bool = False
    aliases: AliasGuard = field(default_factory=AliasGuard)
    lock: RunLock | None = None

    @classmethod
    def prepare(cls, options: RunOptions, mode: Mode = Mode.RUN, force: bool = False, resolver=None) -> "Migration":
        fetcher_class = get_fetcher(options.platform)
        # The platform's own file only (a fetcher that cleans as another platform reads that one
        # too, below): the others are never read.
        mappings = load_mappings(options.mappings_dir, platforms=[fetcher_class.platform])
        settings = HttpSettings(timeout_read=options.timeout, attempts=options.attempts, deadline=options.deadline,
                                pool_size=max(16, options.concurrency * 2), per_host=options.concurrency)
        client = HttpClient(remaps=options.remaps, allowed_hosts=set(options.allow_hosts), settings=settings)
        if resolver is not None:
            client.resolver = resolver
        site = Path(options.site)
        if site.exists() and not site.is_dir():
            raise UserError(f"--site {site} is a file; give it a folder (it is created when missing).")
        if mode is Mode.RETRY_FAILED and not (site / STATE_PATH).is_file():
            raise UserError(f"{site} has never been migrated, so it has no failed image to retry; run `newsletter-migrate run` "
                            "into it first.")
        check_platform_fits(options.platform, options.source)  # a source of another platform's: say which
        check_platform_options(fetcher_class, options.platform_options)
        fetcher_class.check_source(options.source)  # before anything is written
        # The fetcher may refuse its options, and decides which platform's mapping its issues are
        # cleaned with, before anything is written; the run fills in the rest of its context.
        fetcher = fetcher_class(options.source, FetchContext(client, mappings, options.concurrency,
                                                             {"profile": options.profile, **options.platform_options}))
        state_path = site / STATE_PATH
        if not _validated_before(state_path, options, mappings):
            # What only the cleaners' and fetchers' registries can judge (the chain's names, the
            # platform modules' sections), all at once. A sync with the settings and mappings of
            # the last complete run skips it: those same files passed it then, and importing
            # every cleaner (and bs4 with them) is most of a sync that finds nothing to do.
            from .cleaners import check_mappings

            problems = Problems()
            check_mappings(mappings, sorted({fetcher_class.platform, fetcher.platform}), problems)
            problems.raise_if_any(f"The mappings folder {mappings.root}")
        fallback = None
        if options.wayback_images:
            from .wayback import ArchivedImages

            fallback = ArchivedImages.for_run(client, fetcher, options.wayback_cdx, options.wayback_captures)
        state = StateStore.open_existing(site, read_only=True) if options.dry_run else StateStore(site / STATE_PATH)
        images = None
        if options.download_images and options.dry_run:
            from .assets import KnownImages

            images = KnownImages(site, state, folder=options.images_dir, url_prefix=options.images_url,
                                 local=LocalFiles.for_source(options.source), max_bytes=megabytes(options.max_image_mb))
        elif options.download_images:
            from .assets import ImageStore

            images = ImageStore(site, client, folder=options.images_dir, url_prefix=options.images_url,
                                concurrency=options.concurrency, state=state, fallback=fallback,
                                originals=CdnOriginals(mappings.platform(fetcher.platform)),
                                max_bytes=megabytes(options.max_image_mb), max_run_bytes=megabytes(options.max_images_run_mb),
                                local=LocalFiles.for_source(options.source))
        layout = PathLayout(section=options.section, template=options.path_template, number_width=options.number_width)
        return cls(options, mappings, client, images, layout, state, fetcher, mode, force)

    # ------------------------------------------------------------------ the run
    def run(self, on_issue: Callable[[Issue | None], None] | None = None,
            on_total: Callable[[int], None] | None = None, on_started: Callable[[], None] | None = None) -> RunReport:
        """Migrate the source. `on_issue` hears of each entry as it is finished (the Issue, or
        None for an entry that was not converted), `on_total` how many entries the source holds
        once it says, and `on_started` that the source answered (its first entry, or its end)."""
        options, state = self.options, self.state
        site = Path(options.site)
        fetcher = self.fetcher
        fingerprint = settings_fingerprint(options, self.mappings)
        source_key = source_identity(fetcher.source)
        every_row = state.issues() if state else []
        known = {row.source_id: row for row in every_row if row.platform == fetcher.platform}
        # Issues this source gave before: the ones whose absence from it now means "gone".
        listed = {source_id for source_id, row in known.items() if row.source == source_key}
        by_ref: dict[str, list[IssueRow]] = {}  # for a document found unchanged: the issues it holds
        for row in known.values():
            by_ref.setdefault(row.source_ref, []).append(row)
        failed_images = {row.url for row in state.images("failed")} if state else set()
        # Every file the tool wrote into this site is taken, whichever platform it came from, and
        # so is its page: no old path may become an alias over it.
        for row in every_row:
            self.layout.claim(row.output_path, row.platform, row.source_id)
            self.aliases.add_page(Owner(row.platform, row.source_id, row.title), row.output_path)
        for row in every_row:
            self.aliases.claim(Owner(row.platform, row.source_id, row.title), row.old_paths + row.previous_urls)

        writer = SiteWriter(site, None if options.dry_run else state, force=self.force, dry_run=options.dry_run,
                            source=source_key)
        for source_id, row in known.items():
            if row.incoming_hash:
                known[source_id] = writer.adopt_if_resolved(row)
        # Unchanged documents may be skipped wholesale only when the last run finished with these
        # settings and left nothing to mend: no failed image, no missing file, no conflict to force.
        # An issue the state keeps no report entry for (skipped before, or written by a version of the
        # tool that kept none) is converted again, so that the to-do and the report page know it.
        self._reported = state.entry_keys() if state is not None else set()
        conditional = (self.mode is Mode.SYNC and state is not None and state.meta("fingerprint") == fingerprint
                       and state.meta("run_state") == "complete" and not failed_images
                       and all((site / row.output_path).exists() and (row.platform, row.source_id) in self._reported
                               for row in known.values() if not row.gone)
                       and not (self.force and any(row.incoming_hash for row in known.values())))
        retry_refs = {row.source_ref for row in known.values() if set(row.images) & failed_images}
        spec = dict(mappings_dir=str(self.mappings.root), platform=fetcher.platform, embeds=options.embeds,
                    sentence_per_line=options.sentence_per_line, date_format=options.date_format,
                    images=self.images is not None)
        registry = IssueRegistry(fetcher.issue_ref, fetcher.issue_hosts)
        registry.add_rows(list(known.values()))
        # The platform's own hosts count from the start (their URLs name the newsletter's profile,
        # which the registry checks), so a link to an issue not reached yet is known as one.
        registry.add_hosts(options.old_hosts + self.mappings.platform(fetcher.platform).hosts,
                           [options.profile] if options.profile else [])
        renderer = LazyRenderer(spec, self.mappings, self.images, registry, options.processes)
        context = fetcher.context
        context.conditional = conditional
        context.cache = NoValidators() if state is None else (ReadOnlyValidators(state) if options.dry_run else state)
        context.offload = renderer.offload
        context.wants = (lambda ref: ref in retry_refs) if self.mode is Mode.RETRY_FAILED else (lambda ref: True)
        context.on_total = on_total
        source_label = options.source if not options.source.startswith("http") else _display(options.source)
        report = RunReport(options.platform, source_label, str(options.site), dry_run=options.dry_run, mode=self.mode.value)
        report.config = str(options.config) if options.config else None
        previous_run_state = state.meta("run_state") if state else None
        if self.lock is not None and self.lock.taken_over():
            report.add_note(SourceNote(str(self.lock.path), self.lock.taken_over()))
        if not options.dry_run:
            # Another run's temporary files cannot be here: this run holds the site's lock.
            report.temporary_files_removed = sweep_temporary_files(site)
            state.set_meta("run_state", "running")

        lock = threading.Lock()
        # Issue threads mostly wait (on worker processes, on their images); twice as many issues as
        # download slots keep the downloads fed, and four times as many in flight bound memory.
        slots = threading.BoundedSemaphore(options.concurrency * 4)
        # The issues this run read (or found unchanged): what tells one archive's copies apart. Each
        # maps to where this run first read it, for a second copy's problem (None: found unchanged,
        # not read). One dict, not a set beside it, and the issues found but not read apart: per
        # issue, the run keeps one slot for all three.
        read: dict[str, str | None] = {}
        unread: set[str] = set()  # issues found at the source that it could not read
        listing_complete = self.mode is not Mode.RETRY_FAILED

        waiting_rows: dict[str, IssueRow | None] = {}

        def work(issue: Issue, row: IssueRow | None, prepared=None) -> None:
            outcome = None
            try:
                result = renderer.finish(prepared) if prepared is not None else renderer.render(issue)
                if result is None:  # it links to issues not reached yet: finished at the end
                    waiting_rows[issue.source_id] = row
                    return
                issue, text = result
                outcome = writer.write(issue, text.encode("utf-8"), row, fingerprint)
            except Exception as exc:  # one broken issue must not end the run...
                if about_the_machine(exc):  # ...but a full or read-only disk ends it for every issue
                    raise
                log.debug("issue %s failed", issue.source_id, exc_info=True)
                issue.failures.append(f"could not be converted ({type(exc).__name__}: {exc})")
            finally:
                slots.release()
            with lock:
                report.add_issue(issue, outcome)
            if on_issue:
                on_issue(issue)

        in_flight: set[Future] = set()  # only unfinished work is held, not a future per issue
        # What `work` could not keep to its issue (it ends the run, however early it happened).
        escaped: dict[Future, BaseException] = {}

        def forget(done: Future) -> None:
            with lock:
                in_flight.discard(done)
                if not done.cancelled() and done.exception() is not None:
                    escaped[done] = done.exception()

        def submit(*job) -> None:
            future = pool.submit(work, *job)
            with lock:
                in_flight.add(future)
            future.add_done_callback(forget)

        def wait_for_in_flight(raising: bool = True) -> None:
            while True:
                with lock:
                    pending = list(in_flight)
                if not pending:
                    break
                futures_wait(pending)
                with lock:
                    for future in pending:
                        # The done-callback may not have run yet: note the outcome here too.
                        in_flight.discard(future)
                        if not future.cancelled() and future.exception() is not None:
                            escaped[future] = future.exception()
            with lock:
                first = next(iter(escaped.values()), None)
            if raising and first is not None:
                raise first

        problems_read: list[SourceProblem] = []
        source_read = True  # until a whole-source Unchanged says this run did not read the source
        started = False
        with ThreadPoolExecutor(max_workers=options.concurrency * 2, thread_name_prefix="issue") as pool:
            try:
                for entry in fetcher.entries():
                    if not started and on_started:
                        on_started()
                    started = True
                    if isinstance(entry, SourceProblem):
                        report.add_problem(entry)
                        problems_read.append(entry)
                        # An unreadable entry may be a known issue: it is not gone, just unread.
                        # (A reference such as "emails.csv row 2" names an entry of this source only.)
                        matches = [row.source_id for row in known.values() if row.source_id == entry.source_id
                                   or (row.source == source_key and row.source_ref == entry.source_ref)]
                        unread.update(matches)
                        if not matches and entry.source_id is None:
                            listing_complete = False
                    elif isinstance(entry, SourceNote):
                        report.add_note(entry)
                        continue  # a word about the source, not one of its entries
                    elif isinstance(entry, Unchanged):
                        if entry.whole_source:
                            present = [source_id for source_id in listed if not known[source_id].gone]
                            report.up_to_date += len(present)
                            for _ in present[1:]:  # each counts as an entry done (the last one below)
                                if on_issue:
                                    on_issue(None)
                            for source_id in present:
                                read.setdefault(source_id, None)
                            # What could not be read last time still cannot: say so again.
                            source_read = False
                            for problem in self.remembered_problems(source_key):
                                report.add_problem(problem)
                        else:
                            matches = by_ref.get(entry.source_ref, [])
                            report.up_to_date += len(matches)
                            for _ in matches[1:]:
                                if on_issue:
                                    on_issue(None)
                            for row in matches:
                                read.setdefault(row.source_id, None)
                    elif read.get(entry.source_id) is not None:
                        # Two copies of one issue (a page saved twice): the first is kept, so the
                        # output does not depend on which copy a thread finishes last.
                        report.add_problem(SourceProblem(entry.source_ref, f"repeats issue {entry.source_id}, already read from "
                                                         f"{read[entry.source_id]}; the first copy is kept",
                                                         entry.order, entry.source_id))
                    else:
                        read[entry.source_id] = entry.source_ref
                        job = self.admit(entry, known.get(entry.source_id), fingerprint, failed_images, writer, report)
                        if job is not None:
                            registry.add(entry.source_id, entry.old_urls, entry.output_path, [p.path for p in entry.old_paths])
                            slots.acquire()
                            submit(*job)
                            continue
                        if entry.output_path:
                            registry.add(entry.source_id, entry.old_urls, entry.output_path, [p.path for p in entry.old_paths])
                    if on_issue:
                        on_issue(None)
                if not started and on_started:
                    on_started()  # a source with nothing in it answered too
                wait_for_in_flight()
                # Every issue is known now: finish those that waited for issues further on.
                for prepared in renderer.drain_deferred():
                    slots.acquire()
                    submit(prepared.issue, waiting_rows.pop(prepared.issue.source_id, None), prepared)
                wait_for_in_flight()
            finally:
                wait_for_in_flight(raising=False)  # whatever happened, no thread writes after this
                renderer.close()
                if self.images:
                    self.images.close()

        if listing_complete and state is not None:
            gone = self.spoken_for(known, listed, read.keys()) - read.keys() - unread
            for source_id in sorted(gone):
                report.add_gone(known[source_id])
                if not options.dry_run:
                    state.set_gone(known[source_id].platform, source_id, True)
            for source_id in sorted(gone | read.keys()):
                row = known.get(source_id)
                if row is None or options.dry_run:
                    continue
                if row.gone and source_id in read:
                    state.set_gone(row.platform, source_id, False)
                if row.source != source_key and fetcher.listing == "archive":
                    # The archive under its new name: the next run reads it as this source.
                    state.set_source(row.platform, source_id, source_key)
        self.take_back_aliases(writer, report)
        if self.images:
            report.images_downloaded = self.images.downloaded
        if not options.dry_run:
            state.put_entries(report.entries())
            state.drop_entries((item["platform"], item["id"]) for item in report.skipped)
            todo = ToDo.load(site)
            todo.record_run(report, source_key, source_read and self.mode is not Mode.RETRY_FAILED,
                            present={issue_key(fetcher.platform, source_id) for source_id in read})
            todo.save(site)
            todo.read_state(state, site)
            report.todo = todo
            keep_report(site, report.write(site), self.mode.value)
            summary = report.summary()
            state.set_meta("last_run", json.dumps({
                "mode": self.mode.value, "platform": report.platform, "source": report.source,
                "said": report.lines()[:3], **{key: summary[key] for key in ("issues_with_failures", "images_failed", "source_problems")}}))
            write_report_page(site, state)
            if options.starter:  # last: the site's content and the run's record stand whatever happens to it
                try:
                    report.starter = starter_for_run(site)
                except UserError as exc:  # a link where a starter file goes, say: the starter waits, the run is whole
                    report.add_note(SourceNote("the starter Hugo site", f"was not written: {exc}"))
            state.set_meta("fingerprint", fingerprint)
            # A run that read the whole source and wrote (or kept) every issue lets the next sync
            # trust the validators. An unreadable entry that names its issue does not block that
            # (asking again would not mend it); one that names none leaves the listing incomplete.
            # retry-failed reads only part of the source, so it leaves the mark as it found it.
            if self.mode is not Mode.RETRY_FAILED and source_read:
                state.set_meta(f"problems:{source_key}", json.dumps(
                    [[without_credentials(p.source_ref), p.reason, p.order, p.source_id] for p in problems_read]))
            if self.mode is Mode.RETRY_FAILED:
                state.set_meta("run_state", previous_run_state or "incomplete")
            else:
                state.set_meta("run_state", "complete" if listing_complete and not report.unconverted else "incomplete")
                reasons = ([] if listing_complete else ["an entry of the source that names no issue could not be read"]) + (
                    [f"{report.unconverted} issue(s) could not be converted"] if report.unconverted else [])
                state.set_meta("run_state_reason", "; ".join(reasons))
        return report

    def take_back_aliases(self, writer: SiteWriter, report: RunReport) -> None:
        """Old paths issues were written with that pages found later turned out to be: out of
        those issues' aliases, now that every page is known (see aliases.py)."""
        for taken in self.aliases.taken_back:
            owner = taken.owner
            row = self.state.issue(owner.platform, owner.source_id) if self.state else None
            if row is None:
                continue

            def keep(path: str, key: str = taken.key) -> bool:
                try:
                    return page_key(path) != key
                except BadOldPath:
                    return True

            done = writer.drop_aliases(row, keep)
            if done:
                report.add_note(SourceNote(row.output_path, f"the old path {taken.key} of {owner.named()} is {taken.page}: {done}"))

    def spoken_for(self, known: dict[str, IssueRow], listed: set[str], read: AbstractSet[str]) -> set[str]:
        """The issues whose absence from this run's complete listing means they are gone (see
        Fetcher.listing): those read from this source before; for a whole archive, also those
        read from any earlier copy of it (another file name) that shares an issue with this one;
        for a window onto the archive, none."""
        if self.fetcher.listing == "window":
            return set()
        if self.fetcher.listing != "archive":
            return set(listed)
        copies: dict[str, set[str]] = {}
        for source_id, row in known.items():
            copies.setdefault(row.source, set()).add(source_id)
        return set(listed).union(*(ids for ids in copies.values() if ids & read))

    def remembered_problems(self, source_key: str) -> list[SourceProblem]:
        """The entries of a source the last run that read it could not read."""
        stored = self.state.meta(f"problems:{source_key}") if self.state else None
        return [SourceProblem(ref, reason, order, source_id) for ref, reason, order, source_id in json.loads(stored or "[]")]

    def admit(self, issue: Issue, row: IssueRow | None, fingerprint: str, failed_images: set[str],
              writer: SiteWriter, report: RunReport):
        """Decide, in source order, whether an issue needs work; returns the job or None."""
        apply_overrides(issue, self.mappings, self.options)
        size_mb = len(issue.html.encode("utf-8")) / (1024 * 1024)
        if size_mb > self.options.max_issue_mb and not issue.skip_reason:
            issue.skip_reason = (f"its body is {size_mb:.1f} MB of HTML, over the {self.options.max_issue_mb:g} MB limit; "
                                 "raise max_issue_mb in the config to convert it")
        if issue.skip_reason:
            written = row.output_path if row and (Path(self.options.site) / row.output_path).exists() else None
            report.add_skipped(issue, left_in_place=written)
            return None
        issue.output_path = self.layout.path_for(issue)
        inside(Path(self.options.site), issue.output_path)
        owner = Owner(issue.platform, issue.source_id, issue.title)
        self.aliases.add_page(owner, issue.output_path)
        if self.mode is Mode.RETRY_FAILED and not (row and set(row.images) & failed_images):
            return None
        if self.mode is Mode.SYNC and self.up_to_date(issue, row, fingerprint, failed_images):
            report.up_to_date += 1
            return None
        note_gaps(issue)
        writer.plan_move(issue, row)
        issue.old_paths, issue.previous_urls = self.aliases.refuse_takeovers(owner, issue.old_paths, issue.previous_urls,
                                                                             issue.warnings)
        self.aliases.claim(owner, [p.path for p in issue.old_paths] + issue.previous_urls)
        return issue, row

    def up_to_date(self, issue: Issue, row: IssueRow | None, fingerprint: str, failed_images: set[str]) -> bool:
        """Nothing to do: same source, same settings, same place, no failed image, file present,
        and no waiting new version that --force should put in place."""
        return (row is not None and row.source_hash == issue.source_hash and row.render_key == fingerprint
                and row.output_path == issue.output_path and not set(row.images) & failed_images
                and (issue.platform, issue.source_id) in self._reported
                and (Path(self.options.site) / row.output_path).exists()
                and not (self.force and row.incoming_hash))



def run(options: RunOptions, mode: Mode = Mode.RUN, force: bool = False, on_issue=None, on_total=None,
        on_started=None) -> RunReport:
    """Migrate `options.source` into `options.site`: the library call behind `run`, `sync` and
    `retry-failed` (see Migration.run for the callbacks). A run that writes holds the site's
    lock (see runlock.py) from before it touches anything until it has written its report;
    another run in the site is refused."""
    before = StartingPoint.of(Path(options.site))
    # Refused while another run holds the site: nothing of that run's is this one's to undo.
    lock = None if options.dry_run else RunLock.acquire(Path(options.site), command=mode.value)
    migration = None
    try:
        migration = Migration.prepare(options, mode, force)
        migration.lock = lock
        return migration.run(on_issue, on_total, on_started)
    except BaseException:
        if migration and migration.state:
            migration.state.close()
        if lock is not None:
            before.forget_failed_start()
        raise
    finally:
        if migration and migration.state:
            migration.state.close()
        if lock is not None:
            lock.release()


def print_report(report: RunReport, stream=None) -> None:
    for line in report.lines():
        print(line, file=stream or sys.stdout)
