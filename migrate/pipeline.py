"""The bulk migration: fetch, clean, convert and write every issue of a source.

The fetcher streams issues in the source's order. The main thread applies overrides and claims
each issue's output path (so paths are decided in source order, the same on every run), then
hands the issue to a worker that cleans, converts and writes it. At most a few issues per worker
are in flight, so memory does not grow with the archive.
"""
from __future__ import annotations

import logging
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bs4 import BeautifulSoup

from .assets import ImageStore
from .cleaners import CleanContext, build_chain
from .config import RunOptions
from .converters import PathLayout, break_sentences, front_matter_fields, render_document, to_markdown
from .errors import UserError
from .fetchers import FetchContext, get_fetcher
from .files import atomic_write, inside
from .http import HttpClient, HttpSettings, _display
from .mappings import Mappings, load_mappings
from .record import ImageResult, Issue, SourceProblem
from .report import RunReport

log = logging.getLogger(__name__)


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


def note_gaps(issue: Issue) -> None:
    """Say what the source did not give, instead of inventing it."""
    if not issue.title:
        issue.warnings.append(f"has no title: add `title:` under \"{issue.source_id}\" in an overrides file")
    if issue.date is None and not issue.draft:
        issue.warnings.append(f"has no date: add `date:` under \"{issue.source_id}\" in an overrides file")
    inferred = [p.path for p in issue.old_paths if p.inferred]
    if inferred:
        issue.warnings.append(f"old path rebuilt from the title, not stated by the source: {', '.join(inferred)}")


@dataclass
class Migration:
    """One run over one source, with everything it shares between issues."""

    options: RunOptions
    mappings: Mappings
    client: HttpClient
    images: ImageStore | None
    layout: PathLayout

    @classmethod
    def prepare(cls, options: RunOptions, resolver=None) -> "Migration":
        mappings = load_mappings(options.mappings_dir)
        settings = HttpSettings(timeout_read=options.timeout, attempts=options.attempts, pool_size=max(16, options.concurrency * 2))
        client = HttpClient(remaps=options.remaps, allowed_hosts=set(options.allow_hosts), settings=settings)
        if resolver is not None:
            client.resolver = resolver
        site = Path(options.site)
        if site.exists() and not site.is_dir():
            raise UserError(f"--site {site} is a file; give it a folder (it is created when missing).")
        images = None
        if options.download_images and not options.dry_run:
            images = ImageStore(site, client, folder=options.images_dir, url_prefix=options.images_url,
                                concurrency=options.concurrency)
        layout = PathLayout(section=options.section, template=options.path_template, number_width=options.number_width)
        return cls(options, mappings, client, images, layout)

    def run(self, on_issue: Callable[[Issue], None] | None = None) -> RunReport:
        options = self.options
        fetcher_class = get_fetcher(options.platform)
        platform = self.mappings.platform(fetcher_class.platform)
        context = CleanContext(self.mappings, platform, images=self.images, embeds=options.embeds)
        switched_off = set() if self.images else {"images"}
        chain = build_chain(self.mappings, context, switched_off)
        fetcher = fetcher_class(options.source, FetchContext(self.client, self.mappings, options.concurrency,
                                                              {"profile": options.profile}))
        source_label = options.source if not options.source.startswith("http") else _display(options.source)
        report = RunReport(options.platform, source_label, str(options.site), dry_run=options.dry_run)
        site = Path(options.site)
        lock = threading.Lock()
        slots = threading.BoundedSemaphore(options.concurrency * 2)

        def finish(issue: Issue, written: bool | None) -> None:
            with lock:
                report.add_issue(issue, written)
            if on_issue:
                on_issue(issue)

        def work(issue: Issue) -> None:
            try:
                written = self.process(issue, chain, site)
            except Exception as exc:  # one broken issue must not end the run
                log.debug("issue %s failed", issue.source_id, exc_info=True)
                issue.failures.append(f"could not be converted ({type(exc).__name__}: {exc})")
                written = None
            finally:
                issue.document = None
                slots.release()
            finish(issue, written)

        futures: list[Future] = []
        with ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="issue") as pool:
            try:
                for entry in fetcher.entries():
                    if isinstance(entry, SourceProblem):
                        report.add_problem(entry)
                        if on_issue:
                            on_issue(None)
                        continue
                    apply_overrides(entry, self.mappings, options)
                    if entry.skip_reason:
                        report.add_skipped(entry)
                        continue
                    note_gaps(entry)
                    entry.output_path = self.layout.path_for(entry)
                    inside(site, entry.output_path)
                    slots.acquire()
                    futures.append(pool.submit(work, entry))
            finally:
                for future in futures:
                    future.result()
                if self.images:
                    self.images.close()
        report.issues.sort(key=lambda entry: entry["order"])
        if self.images:
            report.images_downloaded = self.images.downloaded
        if not options.dry_run:
            report.write(site)
        return report

    def process(self, issue: Issue, chain, site: Path) -> bool | None:
        """Clean, convert and write one issue; returns whether its file changed (None: dry run)."""
        doc = issue.document if issue.document is not None else BeautifulSoup(issue.html, "lxml")
        for cleaner in chain:
            cleaner.clean(doc, issue)
        if self.options.dry_run and self.options.download_images:
            # Nothing is downloaded in a dry run; list what would be.
            issue.images = [ImageResult(url=img.get("src", "")) for img in doc.find_all("img") if img.get("src")]
        if self.options.sentence_per_line:
            break_sentences(doc)
        issue.markdown = to_markdown(doc)
        if not issue.markdown:
            issue.warnings.append("has no content after cleaning")
        text = render_document(front_matter_fields(issue, self.options.date_format), issue.markdown)
        if self.options.dry_run:
            return None
        return atomic_write(inside(site, issue.output_path), text.encode("utf-8"))


def run(options: RunOptions, on_issue=None) -> RunReport:
    """Migrate `options.source` into `options.site`; the library call behind `newsletter-migrate run`."""
    return Migration.prepare(options).run(on_issue)


def print_report(report: RunReport, stream=None) -> None:
    for line in report.lines():
        print(line, file=stream or sys.stdout)
