"""Writing issues into the site without ever losing a hand edit.

The writer compares what is on disk with what the tool last wrote (the state's output hash):
- no file, or the file as the tool left it: write the new version;
- the file already holds the new version: nothing to write (a crashed run's work is adopted);
- the file was edited by hand: leave it alone and write the new version beside it as
  `<name>.incoming`, unless `--force`.
When an issue's output path changes (a new slug, a renamed section), its old site URL becomes an
alias and the old file goes, but only if nobody edited it.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .crashpoints import crash_point
from .files import atomic_write, inside, sha256_file
from .record import Issue
from .state import IssueRow, StateStore

INCOMING_SUFFIX = ".incoming"


def site_url(output_path: str) -> str:
    """The URL Hugo gives a content file: content/issues/018.md -> /issues/018/."""
    parts = PurePosixPath(output_path).with_suffix("").parts
    if parts and parts[0] == "content":
        parts = parts[1:]
    if parts and parts[-1] in ("index", "_index"):
        parts = parts[:-1]
    return "/" + "/".join(parts) + "/" if parts else "/"


def incoming_path(target: Path) -> Path:
    return target.with_name(target.name + INCOMING_SUFFIX)


@dataclass
class WriteOutcome:
    action: str                 # written | unchanged | conflict | would-write
    incoming: str | None = None  # site-relative path of the waiting new version
    removed_old: str | None = None
    kept_old: str | None = None


class SiteWriter:
    def __init__(self, site: Path, state: StateStore | None, force: bool = False, dry_run: bool = False,
                 source: str = ""):
        self.site = Path(site)
        self.source = source
        self.state = state
        self.force = force
        self.dry_run = dry_run

    def plan_move(self, issue: Issue, row: IssueRow | None) -> None:
        """Before rendering: carry the issue's earlier site URLs into its aliases, and add the URL
        of the file it is moving away from, unless that file was edited and stays."""
        if row is None:
            return
        previous = list(row.previous_urls)
        if row.output_path != issue.output_path:
            old = self.site / row.output_path
            edited = old.exists() and sha256_file(old) != row.output_hash
            if edited:
                issue.warnings.append(f"moved from {row.output_path}, which was edited by hand and is kept; remove it when you have merged it")
            else:
                previous.append(site_url(row.output_path))
        current = site_url(issue.output_path)
        issue.previous_urls = [url for i, url in enumerate(previous) if url != current and url not in previous[:i]]

    def adopt_if_resolved(self, row: IssueRow) -> IssueRow:
        """A conflict the author resolved by taking the new version: the file now holds what the
        tool last produced, so it is the tool's again and the `.incoming` copy can go."""
        target = self.site / row.output_path
        if self.state is None or sha256_file(target) != row.incoming_hash:
            return row
        row.output_hash, row.incoming_hash = row.incoming_hash, None
        waiting = incoming_path(target)
        if sha256_file(waiting) == row.output_hash:
            waiting.unlink()
        self.state.put_issue(row)
        return row

    def write(self, issue: Issue, text: bytes, row: IssueRow | None, render_key: str) -> WriteOutcome:
        target = inside(self.site, issue.output_path)
        current = target.read_bytes() if target.exists() else None
        new_hash = hashlib.sha256(text).hexdigest()
        same_place = row is not None and row.output_path == issue.output_path
        replaceable = current is None or self.force or (same_place and hashlib.sha256(current).hexdigest() == row.output_hash)
        if self.dry_run:  # the same decision, with nothing written
            return WriteOutcome("unchanged" if current == text else "would-write" if replaceable else "conflict")
        incoming = incoming_path(target)
        outcome = WriteOutcome("written")
        output_hash, incoming_hash = new_hash, None
        if current == text:
            outcome.action = "unchanged"
        elif replaceable:
            atomic_write(target, text)
        else:
            atomic_write(incoming, text)
            outcome = WriteOutcome("conflict", incoming=incoming.relative_to(self.site.resolve()).as_posix())
            output_hash = row.output_hash if same_place else None
            incoming_hash = new_hash
            issue.warnings.append(f"was edited by hand: the new version waits in {outcome.incoming} (use --force to overwrite)")
        if outcome.action != "conflict" and incoming.exists():
            incoming.unlink()  # superseded: the file now holds the tool's version
        if row is not None and not same_place:
            old = self.site / row.output_path
            if old.exists() and row.output_path != issue.output_path:
                if sha256_file(old) == row.output_hash:
                    old.unlink()
                    outcome.removed_old = row.output_path
                else:
                    outcome.kept_old = row.output_path
        if self.state is not None:
            self.state.put_issue(IssueRow(
                platform=issue.platform, source_id=issue.source_id, source=self.source, source_ref=issue.source_ref,
                source_hash=issue.source_hash, render_key=render_key, title=issue.title,
                old_paths=[p.path for p in issue.old_paths], old_urls=list(issue.old_urls),
                previous_urls=list(issue.previous_urls), output_path=issue.output_path,
                output_hash=output_hash, incoming_hash=incoming_hash,
                images=[image.url for image in issue.images]))
            crash_point()
        return outcome

    def drop_aliases(self, row: IssueRow, keep) -> str:
        """Take the old paths `keep(path)` refuses out of an issue the tool wrote: its file's
        front matter and its record. Returns what was done, in words for the report: a file
        edited by hand is left alone, and the words say what to remove from it."""
        paths = [path for path in row.old_paths if keep(path)]
        urls = [url for url in row.previous_urls if keep(url)]
        if (paths, urls) == (row.old_paths, row.previous_urls):
            return ""
        target = self.site / row.output_path
        where = incoming_path(target) if row.incoming_hash else target
        if self.dry_run or self.state is None:
            return "it would be taken out of that issue's aliases"
        if sha256_file(where) != (row.incoming_hash or row.output_hash):
            return f"remove it from the aliases of {where.relative_to(self.site).as_posix()}, which was edited by hand"
        from .converters.frontmatter import without_aliases

        text = without_aliases(where.read_text(encoding="utf-8"), lambda alias: keep(alias))
        if text is not None:
            data = text.encode("utf-8")
            atomic_write(where, data)
            new_hash = hashlib.sha256(data).hexdigest()
            if row.incoming_hash:
                row.incoming_hash = new_hash
            else:
                row.output_hash = new_hash
        row.old_paths, row.previous_urls = paths, urls
        self.state.put_issue(row)
        return f"it was taken out of the aliases of {where.relative_to(self.site).as_posix()}, so that page stays what it is"
